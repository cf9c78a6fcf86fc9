"""The canonical datasets: the names and types every department's extract is mapped onto.

A new department adds datasets here (or reuses these) and writes a column mapping; the ingest,
warehouse and metric engine need no new code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

ColumnType = Literal["string", "integer", "number", "boolean", "date", "timestamp"]

#: The longest cell any column accepts: longer is a broken export (a runaway quote), not data.
MAX_TEXT_LENGTH = 1_000
#: Dates before this are placeholders (01/01/1900) or typos, not events a service still measures.
EARLIEST_DATE = date(1990, 1, 1)
#: How far ahead of the day of loading a date may lie: theatre lists are planned weeks ahead, but
#: a date years away is a typo (2204 for 2024) or a placeholder (31/12/2099).
LATEST_DAYS_AHEAD = 366


def plausible_dates(today: date) -> tuple[date, date]:
    """The first and last dates an extract loaded on ``today`` may hold, inclusive."""
    return EARLIEST_DATE, today + timedelta(days=LATEST_DAYS_AHEAD)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "string"
    required: bool = True
    codes: tuple[str, ...] | None = None
    #: A patient identifier: replaced by a keyed pseudonym at ingest, never stored as given.
    identifier: bool = False
    #: Another column of the same row that this one may not be earlier than.
    not_before: str | None = None
    #: (column, code): this one is blank exactly on the rows where that column holds that code (a
    #: pathway has a clock stop unless its status is waiting). Either way round, the row says two things.
    blank_when: tuple[str, str] | None = None
    #: A date of an event that has happened (a referral, a treatment): no later than the day of loading.
    past: bool = False
    #: The plausible range of a number, inclusive: values outside it are refused, so a swapped
    #: column or a placeholder (age 999) cannot load as data.
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = MAX_TEXT_LENGTH


@dataclass(frozen=True)
class Dataset:
    name: str
    key: str
    columns: tuple[Column, ...]
    description: str = ""
    #: The date that places a row in an extract's months: a newer extract replaces the rows of
    #: every month it covers. Without one, rows are replaced only by key.
    period: str | None = None

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _optional(name: str, type_: ColumnType = "string", **kwargs) -> Column:
    return Column(name, type_, required=False, **kwargs)


ADMISSION_METHODS = ("elective", "day_case", "non_elective")
SEXES = ("female", "male", "unknown")
SESSION_TYPES = ("elective", "day_case", "trauma")
VFC_OUTCOMES = ("discharged", "phone", "face_to_face", "surgery")
#: FSSA clinical prioritisation: P1–P4 by urgency; P5, P6 deferred at the patient's choice (ADR 63).
PRIORITIES = ("P1", "P2", "P3", "P4", "P5", "P6")
RTT_STATUSES = ("waiting", "treated", "removed")
#: Order lines: the dearest single item a department buys (a surgical robot) is well below this,
#: and no line orders more of one item than this.
PRICE_LIMIT = 10_000_000
QUANTITY_LIMIT = 100_000

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            "admissions",
            period="discharged_at",
            key="spell_id",
            description="One row per hospital spell.",
            columns=(
                Column("spell_id"),
                Column("patient_id", identifier=True),
                Column("site"),
                Column("specialty"),
                Column("admission_method", codes=ADMISSION_METHODS),
                Column("admitted_at", "timestamp", past=True),
                Column("discharged_at", "timestamp", past=True, not_before="admitted_at"),
                _optional("procedure"),
                _optional("procedure_group"),
                _optional("diagnosis"),
                Column("age", "integer", minimum=0, maximum=120),
                Column("sex", codes=SEXES),
                Column("consultant"),
                _optional("discharge_destination"),
                Column("died_in_hospital", "boolean"),
            ),
        ),
        Dataset(
            "hip_fractures",
            period="arrived_at",
            key="spell_id",
            description="One row per hip-fracture spell, as submitted to the NHFD.",
            columns=(
                Column("spell_id"),
                Column("site"),
                Column("arrived_at", "timestamp", past=True),
                _optional("surgery_at", "timestamp", past=True, not_before="arrived_at"),
                _optional("orthogeriatric_review_at", "timestamp", past=True, not_before="arrived_at"),
                _optional("mobilised_day_after_surgery", "boolean"),
                Column("delirium_assessed", "boolean"),
                _optional("not_delirious_after_surgery", "boolean"),
                Column("bone_health_assessed", "boolean"),
                Column("died_within_30_days", "boolean"),
                _optional("returned_home_by_120_days", "boolean"),
            ),
        ),
        Dataset(
            "theatre_sessions",
            period="date",
            key="session_id",
            description="One row per planned theatre list.",
            columns=(
                Column("session_id"),
                Column("site"),
                Column("theatre"),
                Column("date", "date"),
                Column("planned_start", "timestamp"),
                Column("planned_end", "timestamp", not_before="planned_start"),
                Column("specialty"),
                Column("surgeon"),
                Column("session_type", codes=SESSION_TYPES),
            ),
        ),
        Dataset(
            "theatre_cases",
            key="case_id",
            description="One row per booked operation, done or cancelled on the day.",
            columns=(
                Column("case_id"),
                Column("session_id"),
                Column("procedure"),
                Column("procedure_group"),
                _optional("in_theatre_at", "timestamp"),
                _optional("anaesthetic_start", "timestamp"),
                _optional("knife_to_skin", "timestamp"),
                _optional("surgery_end", "timestamp"),
                _optional("out_of_theatre_at", "timestamp", not_before="in_theatre_at"),
                Column("cancelled_on_day", "boolean"),
                _optional("cancellation_reason"),
            ),
        ),
        Dataset(
            "fracture_clinic",
            period="referred_at",
            key="referral_id",
            description="One row per referral to the (virtual) fracture clinic.",
            columns=(
                Column("referral_id"),
                Column("patient_id", identifier=True),
                Column("site"),
                Column("referred_at", "timestamp", past=True),
                Column("source"),
                Column("injury"),
                _optional("vfc_reviewed_at", "timestamp", past=True, not_before="referred_at"),
                Column("outcome", codes=VFC_OUTCOMES),
                Column("face_to_face_attendances", "integer", minimum=0, maximum=50),
            ),
        ),
        Dataset(
            "procurement",
            period="ordered_on",
            key="line_id",
            description="One row per order line.",
            columns=(
                Column("line_id"),
                Column("ordered_on", "date", past=True),
                Column("site"),
                Column("item_code"),
                Column("description"),
                Column("category"),
                Column("supplier"),
                Column("unit_price", "number", minimum=0, maximum=PRICE_LIMIT),
                # Negative: a returned item's credit line.
                Column("quantity", "integer", minimum=-QUANTITY_LIMIT, maximum=QUANTITY_LIMIT),
                _optional("benchmark_unit_price", "number", minimum=0, maximum=PRICE_LIMIT),
            ),
        ),
        Dataset(
            "rtt_pathways",
            key="pathway_id",
            description="One row per referral-to-treatment pathway.",
            columns=(
                Column("pathway_id"),
                Column("patient_id", identifier=True),
                Column("clock_start", "date", past=True),
                _optional(
                    "clock_stop",
                    "date",
                    past=True,
                    not_before="clock_start",
                    blank_when=("status", "waiting"),
                ),
                # Blank where the pathway is not for a list (a non-admitted one has neither): ADR 60.
                _optional("priority", codes=PRIORITIES),
                _optional("procedure_group"),
                # Who the patient waits for (`waitinglist stats --by consultant`): staff, not patients.
                _optional("consultant"),
                Column("status", codes=RTT_STATUSES),
            ),
        ),
    )
}
