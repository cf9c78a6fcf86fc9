"""The contract terms the job-plan arithmetic uses, in one dated table with the source of each.

Terms and Conditions – Consultants (England) 2003 (the version current for 2024/25). Schedule
numbers follow the contents of the Terms and Conditions text: Schedule 3 is job planning, Schedule 7
premium time, Schedule 16 pay supplements (the on-call availability supplement). The full text was not
available when this table was compiled (2 December 2026); each row says where its value was read and
whether a second source confirmed it (``verified``). An unverified row is used, but every output that
depends on it says so, as the rota rules do (ADR 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

COMPILED_ON = date(2026, 12, 2)


@dataclass(frozen=True)
class Term:
    """One value of the contract as the tool applies it, with where it was read."""

    item: str
    value: str
    source: str
    verified: bool


@dataclass(frozen=True)
class PremiumTime:
    """When a PA counts 3 hours rather than 4 (Schedule 7): outside the weekday plain-time window,
    and all of Saturday and Sunday. Minutes after midnight; configurable for a trust that reads the
    terms differently."""

    weekday_plain_from: int = 7 * 60  # 07:00 (unverified: see TERMS)
    weekday_plain_until: int = 19 * 60  # 19:00 (unverified: see TERMS)
    weekends: bool = True
    plain_pa_hours: float = 4.0
    premium_pa_hours: float = 3.0

    def premium_minutes(self, weekday: int, start: int, end: int) -> int:
        """Minutes of ``start``–``end`` (minutes after midnight, same day) that fall in premium time."""
        if self.weekends and weekday >= 5:
            return end - start
        plain = max(0, min(end, self.weekday_plain_until) - max(start, self.weekday_plain_from))
        return (end - start) - plain

    def pas(self, plain_hours: float, premium_hours: float) -> float:
        """PAs for hours of work: 4 hours a PA in plain time, 3 in premium time, pro rata across the
        boundary (Schedule 7)."""
        return plain_hours / self.plain_pa_hours + premium_hours / self.premium_pa_hours


ENGLAND_2003 = PremiumTime()
PA_WARNING_ABOVE = 12.0
SPA_MINIMUM_NEW_POST = 2.5
WORKING_WEEKS = 42.0  # 52 weeks less annual leave, study leave and public holidays

UCL = "UCL HR, 'On-Call Availability Supplement' (ucl.ac.uk/human-resources/call-availability-supplement)"
NOTTINGHAM = "University of Nottingham HR, 'Premium Time' (clinical academics; follows Schedule 7)"
BMA_2003 = "BMA CCSC, 'The new 2003 national consultant contract for England – a summary', Sept 2003"
CONTENTS = "Terms and Conditions – Consultants (England) 2003, contents (studylib.net/doc/18157151)"
SCOTLAND_COVER = (
    "NHS Scotland consultant contract guidance, 'Prospective cover' (docsbay.net/prospective-cover)"
)

TERMS: tuple[Term, ...] = (
    Term("Schedule 3", "job planning", "BMA 'Understanding the consultant contract' page; " + CONTENTS, True),
    Term(
        "Schedule 7",
        "premium time",
        CONTENTS + "; lawinsider clause quoting 'Schedule 7 … Premium Time'",
        True,
    ),
    Term("Schedule 16", "pay supplements (on-call availability supplement)", CONTENTS, False),
    Term("PA in plain time", "4 hours", "BMA Scotland 'first consultant post' FAQ; " + NOTTINGHAM, True),
    Term("PA in premium time", "3 hours", NOTTINGHAM + "; BMA Scotland 'first consultant post' FAQ", True),
    Term("PA partly in premium time", "pro rata to the hours on each side", NOTTINGHAM, True),
    Term("premium time, Saturday and Sunday", "all day", BMA_2003 + " ('all of the weekend')", True),
    Term(
        "premium time, Monday to Friday",
        "before 07:00 and from 19:00",
        "compiler's reading of the Terms' definitions; not found in a source here (a recruiter's page says "
        "08:00–20:00 is plain time; the June 2002 framework said 08:00–22:00)",
        False,
    ),
    Term("premium time, public holidays", "not applied (a job plan is a typical week)", "not checked", False),
    Term(
        "more than 12 PAs",
        "warn: a job plan should not usually exceed 12 PAs (annualised: on average)",
        "Association of Anaesthetists, 'Consultant job plans – the basics'; BDI Resourcing, 'Additional PAs'",
        True,
    ),
    Term(
        "SPA for a new post",
        "2.5 (department policy, configurable)",
        "Academy of Medical Royal Colleges advice on SPAs, as summarised by RCOG and RCOphth",
        True,
    ),
    Term(
        "annualised job plan",
        "counts a year divided by the working weeks (default 42 of 52)",
        SCOTLAND_COVER + " ('available for work for 42 weeks out of 52')",
        False,
    ),
    Term("on-call frequency bands", "high 1:1–1:4, medium 1:5–1:8, low 1:9 or less", UCL, True),
    Term(
        "on-call category",
        "A: typically returns immediately to site or complex telephone work; B: can respond later or by "
        "telephone",
        UCL + "; ../shared/fixtures/jobplan/README.md",
        True,
    ),
    Term(
        "prospective cover",
        "on-call days over the working weeks (cycle days × working weeks / 52), unless the rota shows leave",
        SCOTLAND_COVER + " (Scotland; England's Schedule 16 wording not found)",
        False,
    ),
    Term(
        "supplement % of basic salary",
        "by band and category, each cell with its own verification (SUPPLEMENT_TABLE)",
        "../shared/fixtures/jobplan/consultant_oncall_supplement_2003.csv",
        False,
    ),
)


@dataclass(frozen=True)
class SupplementRate:
    """One cell of the supplement table: % of full-time basic salary, and whether it was confirmed."""

    band: str
    rota_frequency: str
    category: str
    percent: float
    verification: str

    @property
    def verified(self) -> bool:
        return self.verification.startswith("V")


#: The supplement by band and category, as ../shared/fixtures/jobplan/consultant_oncall_supplement_2003.csv
#: gives it (a test keeps the two equal): % of full-time basic salary and the fixture's verification.
SUPPLEMENT_TABLE: tuple[SupplementRate, ...] = (
    SupplementRate("high", "1 in 1 to 1 in 4", "A", 8.0, "V (JISCmail 2004 consultant: 1:3 Cat A = 8%)"),
    SupplementRate("high", "1 in 1 to 1 in 4", "B", 3.0, "U"),
    SupplementRate("medium", "1 in 5 to 1 in 8", "A", 5.0, "U"),
    SupplementRate("medium", "1 in 5 to 1 in 8", "B", 2.0, "U"),
    SupplementRate("low", "1 in 9 or less frequent", "A", 3.0, "U"),
    SupplementRate("low", "1 in 9 or less frequent", "B", 1.0, "U"),
)


def supplement_rates() -> dict[tuple[str, str], SupplementRate]:
    """The supplement table by (band, category)."""
    return {(rate.band, rate.category): rate for rate in SUPPLEMENT_TABLE}
