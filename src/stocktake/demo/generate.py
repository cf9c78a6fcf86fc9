"""A synthetic Trauma & Orthopaedics department: three sites, three years, every canonical dataset.

Realistic shape (winter pressure, weekday effects, right-skewed stays, an elderly hip-fracture
population, late-starting and overrunning lists) with the changes in ``effects.py`` injected.
Deterministic for a given seed and scale. Tables come out in canonical form, with NHS numbers as
the patient identifier; ``export.py`` turns them into the trust's own raw files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from stocktake.bank_holidays import bank_holidays, closed_days
from stocktake.demo import effects as fx
from stocktake.ingest.schemas import DATASETS

SITES = ("Northshire General", "Riverside", "Westfield")
LEAD_IN_MONTHS = 2
TRAUMA_SITES = SITES[:2]
DAY = pd.Timedelta(days=1)
HOUR = pd.Timedelta(hours=1)
MINUTE = pd.Timedelta(minutes=1)


@dataclass(frozen=True)
class Department:
    seed: int = 42
    scale: int = 1
    start: date = fx.START
    months: int = fx.MONTHS

    @property
    def end(self) -> pd.Timestamp:
        """The first day after the data (the extract date)."""
        return pd.Timestamp(self.start) + pd.DateOffset(months=self.months)

    def earlier(self, months: int) -> Department:
        """The same department, starting ``months`` earlier (for spells already under way)."""
        start = (pd.Timestamp(self.start) - pd.DateOffset(months=months)).date()
        return Department(self.seed, self.scale, start, self.months + months)


def generate(department: Department) -> dict[str, pd.DataFrame]:
    """Every canonical dataset of the synthetic department."""
    rng = np.random.default_rng(department.seed)
    patients = _NhsNumbers(rng, 60_000 * department.scale)
    consultants = [f"C{n:07d}" for n in rng.choice(9_999_999, size=14, replace=False)]
    # Spells discharged in the window include some admitted before it: start two months early.
    lead_in = department.earlier(LEAD_IN_MONTHS)
    hip, hip_spells = _hip_fractures(rng, lead_in, patients, consultants)
    admissions = pd.concat([hip_spells, _other_admissions(rng, lead_in, patients, consultants)])
    discharged = admissions["discharged_at"]
    admissions = admissions[(discharged >= pd.Timestamp(department.start)) & (discharged < department.end)]
    admissions = admissions.sort_values("admitted_at", kind="stable").reset_index(drop=True)
    sessions, cases = _theatres(rng, department, consultants)
    # Later additions draw from their own stream, so the department above stays as it was.
    later = np.random.default_rng([department.seed, 1])
    hip = _with_delirium_results(later, hip)
    admissions = _with_day_case_joints(later, admissions)
    return {
        "admissions": admissions,
        "hip_fractures": hip,
        "theatre_sessions": sessions,
        "theatre_cases": cases,
        "fracture_clinic": _fracture_clinic(rng, department, patients),
        "procurement": _procurement(rng, department, admissions),
        "rtt_pathways": _with_consultants(
            np.random.default_rng([department.seed, 2]), _rtt(rng, department, patients), consultants
        ),
    }


# --- shared shape -------------------------------------------------------------------------------


def winter(days: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    """0 in high summer, 1 in mid-January: the shape of winter pressure."""
    day_of_year = pd.DatetimeIndex(days).day_of_year.to_numpy()
    return (1 + np.cos(2 * np.pi * (day_of_year - 15) / 365.25)) / 2


def arrivals(
    rng, department: Department, per_month: float, weekday: tuple[float, ...], winter_lift: float = 0.0
) -> pd.Series:
    """Timestamps of arrivals: a Poisson count per day shaped by weekday and season."""
    days = pd.date_range(department.start, department.end - DAY, freq="D")
    weights = np.asarray(weekday)[days.day_of_week] / np.mean(weekday)
    rate = per_month * department.scale * 12 / 365.25 * weights * (1 + winter_lift * winter(days))
    counts = rng.poisson(rate)
    stamps = np.repeat(days.to_numpy(), counts)
    hours = np.clip(rng.normal(14, 4, len(stamps)), 0, 23.99)
    return pd.Series(stamps + pd.to_timedelta(np.round(hours * 60), unit="min")).sort_values(
        ignore_index=True
    )


def months_since(stamps: pd.Series, when: date) -> np.ndarray:
    start = pd.Timestamp(when)
    return ((stamps.dt.year - start.year) * 12 + stamps.dt.month - start.month).to_numpy()


def lognormal_hours(rng, median: np.ndarray | float, sigma: float, size: int) -> np.ndarray:
    return np.exp(np.log(median) + rng.normal(0, sigma, size))


def _ids(prefix: str, n: int, start: int = 1) -> list[str]:
    return [f"{prefix}{i:07d}" for i in range(start, start + n)]


class _NhsNumbers:
    """A pool of valid NHS numbers (modulus 11) to draw patients from."""

    def __init__(self, rng, size: int):
        first9 = rng.integers(400_000_000, 499_999_999, size=size * 2)
        digits = (first9[:, None] // 10 ** np.arange(8, -1, -1)) % 10
        check = (11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11) % 11
        valid = check != 10
        numbers = first9[valid] * 10 + check[valid]
        self.numbers = np.unique(numbers)[:size].astype(str)
        self.rng = rng

    def draw(self, n: int) -> np.ndarray:
        return self.rng.choice(self.numbers, size=n)


# --- hip fractures --------------------------------------------------------------------------------


def _hip_fractures(rng, department, patients, consultants):
    arrived = arrivals(rng, department, 42, weekday=(1, 1, 1, 1, 1, 1, 1), winter_lift=0.2)
    n = len(arrived)
    spell_id = _ids("HF", n)
    site = rng.choice(TRAUMA_SITES, size=n, p=(0.6, 0.4))
    weekend = arrived.dt.day_of_week.to_numpy() >= 5
    delayed_winter = (arrived >= pd.Timestamp(fx.WINTER_SURGERY_DELAYS[0])) & (
        arrived < pd.Timestamp(fx.WINTER_SURGERY_DELAYS[1])
    )
    median_hours = np.where(delayed_winter, 44.0, 24.0) * np.where(weekend, 1.12, 1.0)
    to_surgery = lognormal_hours(rng, median_hours, 0.55, n)
    operated = rng.random(n) > 0.04
    surgery_at = arrived + pd.to_timedelta(np.where(operated, to_surgery, np.nan), unit="h")
    reviewed = rng.random(n) > 0.06
    to_review = lognormal_hours(rng, 30.0, 0.6, n)
    review_at = arrived + pd.to_timedelta(np.where(reviewed, to_review, np.nan), unit="h")
    died_30 = rng.random(n) < 0.07
    followed_up = rng.random(n) > 0.1
    home = np.where(died_30, False, rng.random(n) < 0.6)
    hip = pd.DataFrame(
        {
            "spell_id": spell_id,
            "site": site,
            "arrived_at": arrived.dt.floor("min"),
            "surgery_at": surgery_at.dt.floor("min"),
            "orthogeriatric_review_at": review_at.dt.floor("min"),
            "mobilised_day_after_surgery": pd.array(np.where(operated, rng.random(n) < 0.8, None), "boolean"),
            "delirium_assessed": rng.random(n) < 0.86,
            "bone_health_assessed": rng.random(n) < 0.92,
            "died_within_30_days": died_30,
            "returned_home_by_120_days": pd.array(np.where(followed_up, home, None), "boolean"),
        }
    )
    stay_days = lognormal_hours(rng, 15.0 * (1 + 0.1 * winter(arrived)), 0.5, n)
    died_in_hospital = died_30 & (rng.random(n) < 0.7)
    spells = pd.DataFrame(
        {
            "spell_id": spell_id,
            "patient_id": patients.draw(n),
            "site": site,
            "specialty": "trauma_orthopaedics",
            "admission_method": "non_elective",
            "admitted_at": hip["arrived_at"],
            "discharged_at": (arrived + pd.to_timedelta(stay_days, unit="D")).dt.floor("min"),
            "procedure": np.where(operated, rng.choice(["W371", "W381", "W461", "W241"], size=n), None),
            "procedure_group": np.where(operated, "hip_fracture_fixation", None),
            "diagnosis": rng.choice(["S720", "S721", "S722"], size=n, p=(0.55, 0.4, 0.05)),
            "age": np.clip(np.round(rng.normal(83, 7, n)), 60, 104).astype(int),
            "sex": rng.choice(["female", "male"], size=n, p=(0.72, 0.28)),
            "consultant": rng.choice(consultants, size=n),
            "discharge_destination": np.where(
                died_in_hospital,
                "died",
                rng.choice(["usual_residence", "care_home", "other_hospital"], size=n, p=(0.6, 0.25, 0.15)),
            ),
            "died_in_hospital": died_in_hospital,
        }
    )
    return hip, spells


def _with_delirium_results(rng, hip: pd.DataFrame) -> pd.DataFrame:
    """The 4AT result after surgery, for operated patients who were assessed."""
    tested = hip["surgery_at"].notna() & hip["delirium_assessed"]
    result = np.where(tested, rng.random(len(hip)) < 0.7, None)
    hip = hip.assign(not_delirious_after_surgery=pd.array(result, "boolean"))
    return hip[list(DATASETS["hip_fractures"].names)]


def _with_day_case_joints(rng, admissions: pd.DataFrame) -> pd.DataFrame:
    """As the length-of-stay programme matures, up to a fifth of joints go home the same day."""
    joints = admissions["procedure_group"].isin(["hip_replacement", "knee_replacement"]).to_numpy()
    progress = np.clip(
        months_since(admissions["admitted_at"], fx.LOS_PROGRAMME_START) / fx.LOS_PROGRAMME_MONTHS, 0, 1
    )
    same_day = joints & (rng.random(len(admissions)) < 0.2 * progress)
    hours = pd.to_timedelta(rng.uniform(6, 10, len(admissions)), unit="h")
    admissions = admissions.copy()
    admissions.loc[same_day, "admission_method"] = "day_case"
    admissions.loc[same_day, "discharged_at"] = (admissions["admitted_at"] + hours)[same_day].dt.floor("min")
    return admissions


# --- elective and other admissions ----------------------------------------------------------------

_ELECTIVE = {
    # group: (per month, method, OPCS codes, diagnosis, median stay in days, sites' shares)
    "hip_replacement": (40, "elective", ["W371", "W381", "W391"], "M161", 3.5, (0.4, 0.25, 0.35)),
    "knee_replacement": (45, "elective", ["W401", "W411", "W421"], "M171", 3.5, (0.4, 0.25, 0.35)),
    "spine": (12, "elective", ["V254", "V255"], "M480", 3.0, (1.0, 0.0, 0.0)),
    "arthroscopy": (80, "day_case", ["W852", "W853"], "M232", 0.0, (0.3, 0.3, 0.4)),
    "hand": (70, "day_case", ["T521", "T692"], "M720", 0.0, (0.3, 0.3, 0.4)),
    "foot_ankle": (40, "day_case", ["W151", "W592"], "M201", 0.0, (0.3, 0.3, 0.4)),
    "other_fracture_fixation": (150, "non_elective", ["W191", "W201", "W241"], "S525", 4.0, (0.6, 0.4, 0.0)),
}
ELECTIVE_DEATH_RISK = 0.0045


def _other_admissions(rng, department, patients, consultants):
    frames = []
    next_id = 1
    for group, (per_month, method, codes, diagnosis, median_stay, shares) in _ELECTIVE.items():
        emergency = method == "non_elective"
        weekday = (1, 1, 1, 1, 1, 1, 1) if emergency else (1.1, 1.1, 1.0, 1.0, 0.9, 0.02, 0.01)
        admitted = arrivals(rng, department, per_month, weekday, 0.15 if emergency else -0.1)
        n = len(admitted)
        if not emergency:  # elective patients arrive in the morning
            admitted = admitted.dt.normalize() + pd.to_timedelta(rng.integers(420, 600, n), unit="min")
        stay = _stay_days(rng, group, median_stay, admitted)
        at_risk = method == "elective"
        died = at_risk & (rng.random(n) < ELECTIVE_DEATH_RISK)
        frames.append(
            pd.DataFrame(
                {
                    "spell_id": _ids("SP", n, next_id),
                    "patient_id": patients.draw(n),
                    "site": rng.choice(SITES, size=n, p=shares),
                    "specialty": "trauma_orthopaedics",
                    "admission_method": method,
                    "admitted_at": admitted,
                    "discharged_at": (admitted + pd.to_timedelta(stay, unit="D")).dt.floor("min"),
                    "procedure": rng.choice(codes, size=n),
                    "procedure_group": group,
                    "diagnosis": diagnosis,
                    "age": np.clip(np.round(rng.normal(68 if at_risk else 50, 12, n)), 18, 99).astype(int),
                    "sex": rng.choice(["female", "male", "unknown"], size=n, p=(0.56, 0.439, 0.001)),
                    "consultant": rng.choice(consultants, size=n),
                    "discharge_destination": np.where(died, "died", "usual_residence"),
                    "died_in_hospital": died,
                }
            )
        )
        next_id += n
    return pd.concat(frames)


def _stay_days(rng, group: str, median_stay: float, admitted: pd.Series) -> np.ndarray:
    n = len(admitted)
    if median_stay == 0:  # day case: home the same afternoon
        return rng.uniform(0.15, 0.4, n)
    median = np.full(n, median_stay)
    if group in ("hip_replacement", "knee_replacement"):
        into = months_since(admitted, fx.LOS_PROGRAMME_START)
        progress = np.clip(into / fx.LOS_PROGRAMME_MONTHS, 0, 1)
        median = median_stay - progress * (median_stay - 1.8)
    return lognormal_hours(rng, median, 0.45, n)


# --- theatres -------------------------------------------------------------------------------------

# site: (elective all-day lists, day-case half-day lists, trauma lists) each weekday
_LISTS = {"Northshire General": (4, 0, 1), "Riverside": (3, 0, 1), "Westfield": (1, 4, 0)}
_CASE_MINUTES = {
    "hip_replacement": 150,
    "knee_replacement": 140,
    "spine": 200,
    "arthroscopy": 45,
    "hand": 40,
    "foot_ankle": 60,
    "hip_fracture_fixation": 110,
    "other_fracture_fixation": 90,
}
_OPCS = {group: spec[2] for group, spec in _ELECTIVE.items()} | {"hip_fracture_fixation": ["W461", "W241"]}
CANCELLATION_REASONS = ("patient unfit", "no bed", "list overran", "patient did not attend", "equipment")


def _session_plan(department: Department) -> pd.DataFrame:
    rows = []
    for day in pd.date_range(department.start, department.end - DAY, freq="D"):
        weekend = day.day_of_week >= 5
        for site, (elective, day_case, trauma) in _LISTS.items():
            counts = (0, 0, trauma) if weekend else (elective, day_case, trauma)
            for kind, count in zip(("elective", "day_case", "trauma"), counts, strict=True):
                for k in range(count * department.scale):
                    rows.append((day, site, kind, k))
    return pd.DataFrame(rows, columns=["date", "site", "session_type", "k"])


def _theatres(rng, department, consultants):
    """Every list and its cases; planned lists are not run on bank holidays (trauma lists are). The
    holidays' lists are drawn and then dropped, so the rest of the department draws as it did."""
    plan = _session_plan(department)
    n = len(plan)
    half_day = plan["session_type"] == "day_case"
    morning = plan["k"] % 2 == 0
    start_minutes = np.where(half_day & ~morning, 13 * 60 + 30, 8 * 60)
    length = np.where(half_day, 240, 600)
    sessions = pd.DataFrame(
        {
            "session_id": _ids("TS", n),
            "site": plan["site"],
            "theatre": [
                f"{s.split()[0][:3].upper()}-T{k % 6 + 1}"
                for s, k in zip(plan["site"], plan["k"], strict=True)
            ],
            "date": plan["date"],
            "planned_start": plan["date"] + pd.to_timedelta(start_minutes, unit="min"),
            "planned_end": plan["date"] + pd.to_timedelta(start_minutes + length, unit="min"),
            "specialty": "trauma_orthopaedics",
            "surgeon": rng.choice(consultants, size=n),
            "session_type": plan["session_type"],
        }
    )
    cases = _cases(rng, sessions)
    holidays = bank_holidays(department.start, (department.end - DAY).date())
    closed = sessions["date"].dt.date.isin(holidays) & (sessions["session_type"] != "trauma")
    dropped = sessions.loc[closed, "session_id"]
    sessions = sessions[~closed].reset_index(drop=True)
    return sessions, cases[~cases["session_id"].isin(dropped)].reset_index(drop=True)


def _cases(rng, sessions: pd.DataFrame) -> pd.DataFrame:
    """Operations booked onto each list, run in order from a (usually late) start."""
    after_change = (sessions["date"] >= pd.Timestamp(fx.THEATRE_SCHEDULING_CHANGE)).to_numpy()
    kind = sessions["session_type"].to_numpy()
    counts = np.zeros(len(sessions), dtype=int)
    for session_type, (sizes, before, after, _, _) in _BOOKING.items():
        chosen = kind == session_type
        counts[chosen] = np.where(
            after_change[chosen],
            rng.choice(sizes, chosen.sum(), p=after),
            rng.choice(sizes, chosen.sum(), p=before),
        )
    owner = np.repeat(np.arange(len(sessions)), counts)
    groups = np.empty(len(owner), dtype=object)
    for session_type, (_, _, _, mix, mix_p) in _BOOKING.items():
        chosen = kind[owner] == session_type
        groups[chosen] = rng.choice(mix, chosen.sum(), p=mix_p)
    n = len(owner)
    cancelled = rng.random(n) < 0.05
    duration = np.vectorize(_CASE_MINUTES.get)(groups) * rng.lognormal(0, 0.15, n)
    busy = np.where(cancelled, 0.0, duration + rng.normal(18, 5, n).clip(8))
    late_start = np.maximum(-5.0, rng.lognormal(np.log(14), 0.7, len(sessions)) - 4)
    before_me = pd.Series(busy).groupby(owner).cumsum().to_numpy() - busy
    into = sessions["planned_start"].to_numpy()[owner] + pd.to_timedelta(
        late_start[owner] + before_me, unit="min"
    )
    into = pd.Series(into).where(~cancelled)
    minutes = pd.to_timedelta(duration, unit="min")
    reasons = rng.choice(CANCELLATION_REASONS, n)
    return pd.DataFrame(
        {
            "case_id": _ids("TC", n),
            "session_id": sessions["session_id"].to_numpy()[owner],
            "procedure": [rng.choice(_OPCS[g]) for g in groups],
            "procedure_group": groups,
            "in_theatre_at": into.dt.floor("min"),
            "anaesthetic_start": (into + 2 * MINUTE).dt.floor("min"),
            "knife_to_skin": (into + minutes * 0.25).dt.floor("min"),
            "surgery_end": (into + minutes * 0.9).dt.floor("min"),
            "out_of_theatre_at": (into + minutes).dt.floor("min"),
            "cancelled_on_day": cancelled,
            "cancellation_reason": np.where(cancelled, reasons, None),
        }
    )


# session type: (list sizes, their chances before and after the scheduling change, case mix, its chances)
_BOOKING = {
    "trauma": (
        [2, 3, 4],
        (0.3, 0.5, 0.2),
        (0.3, 0.5, 0.2),
        ["hip_fracture_fixation", "other_fracture_fixation"],
        (0.5, 0.5),
    ),
    "day_case": (
        [3, 4, 5],
        (0.3, 0.5, 0.2),
        (0.1, 0.4, 0.5),
        ["arthroscopy", "hand", "foot_ankle"],
        (1 / 3, 1 / 3, 1 / 3),
    ),
    "elective": (
        [2, 3, 4],
        (0.35, 0.5, 0.15),
        (0.05, 0.55, 0.4),
        ["hip_replacement", "knee_replacement", "spine"],
        (0.45, 0.45, 0.1),
    ),
}


# --- fracture clinic ------------------------------------------------------------------------------


def _fracture_clinic(rng, department, patients):
    referred = arrivals(rng, department, 450, weekday=(1.3, 1.1, 1.0, 1.0, 1.0, 0.9, 0.9), winter_lift=0.1)
    n = len(referred)
    virtual = (referred >= pd.Timestamp(fx.VFC_GO_LIVE)).to_numpy()
    outcome = np.where(
        virtual,
        rng.choice(["discharged", "phone", "face_to_face", "surgery"], size=n, p=(0.45, 0.1, 0.4, 0.05)),
        rng.choice(["face_to_face", "surgery"], size=n, p=(0.95, 0.05)),
    )
    follow_ups = np.where(np.isin(outcome, ["discharged", "phone"]), 0, 1 + rng.poisson(1.2, n))
    review_hours = lognormal_hours(rng, 30.0, 0.5, n)
    return pd.DataFrame(
        {
            "referral_id": _ids("FC", n),
            "patient_id": patients.draw(n),
            "site": rng.choice(TRAUMA_SITES, size=n, p=(0.55, 0.45)),
            "referred_at": referred,
            "source": rng.choice(
                ["emergency_department", "minor_injuries_unit", "gp"], size=n, p=(0.75, 0.2, 0.05)
            ),
            "injury": rng.choice(
                [
                    "wrist fracture",
                    "ankle fracture",
                    "fifth metatarsal fracture",
                    "radial head",
                    "clavicle fracture",
                    "finger injury",
                ],
                size=n,
            ),
            "vfc_reviewed_at": (
                referred + pd.to_timedelta(np.where(virtual, review_hours, np.nan), unit="h")
            ).dt.floor("min"),
            "outcome": outcome,
            "face_to_face_attendances": follow_ups,
        }
    )


# --- procurement ----------------------------------------------------------------------------------

_HIP_BEFORE = ("NPC-HIP-C01", "Cemented hip system (stem, head, cup)", "OrthoCo Ltd", 1850.0)
_HIP_AFTER = ("NPC-HIP-C07", "Cemented hip system (stem, head, cup)", "Meridian Orthopaedics", 1390.0)
_KNEE = ("NPC-KNEE-T02", "Total knee system (cemented)", "OrthoCo Ltd", 2100.0)
_CONSUMABLES = (
    ("NPC-CEM-40", "Bone cement 40g", "Surgical Supplies plc", 46.0, 2),
    ("NPC-DRP-HK", "Hip/knee drape pack", "Surgical Supplies plc", 58.0, 1),
    ("NPC-SAW-B1", "Sagittal saw blade", "Precision Blades", 32.0, 1),
    ("NPC-GWN-XL", "Sterile surgical gown XL (box of 20)", "Surgical Supplies plc", 41.0, 0.25),
)
_BENCHMARK = {
    "NPC-HIP-C01": 1420.0,
    "NPC-HIP-C07": 1420.0,
    "NPC-KNEE-T02": 1980.0,
    "NPC-CEM-40": 44.0,
    "NPC-DRP-HK": 52.0,
    "NPC-SAW-B1": 30.0,
    "NPC-GWN-XL": 39.0,
}


def _procurement(rng, department, admissions):
    """Weekly replenishment orders that follow each site's elective hip and knee operations."""
    joints = admissions[admissions["procedure_group"].isin(["hip_replacement", "knee_replacement"])]
    week = joints["admitted_at"].dt.to_period("W-SUN").dt.start_time
    weekly = joints.groupby([week.rename("week"), "site", "procedure_group"]).size().reset_index(name="cases")
    lines = []
    for row in weekly.itertuples(index=False):
        ordered_on = row.week + pd.Timedelta(days=int(rng.integers(0, 5)))
        if row.procedure_group == "hip_replacement":
            switched = ordered_on >= pd.Timestamp(fx.HIP_IMPLANT_SWITCH)
            implant = _HIP_AFTER if switched else _HIP_BEFORE
        else:
            implant = _KNEE
        quantity = max(0, row.cases + int(rng.integers(-1, 2)))
        if quantity:
            lines.append((ordered_on, row.site, *implant[:2], "implant", implant[2], implant[3], quantity))
        for code, description, supplier, price, per_case in _CONSUMABLES:
            quantity = int(np.ceil(row.cases * per_case)) + int(rng.integers(0, 2))
            lines.append((ordered_on, row.site, code, description, "consumable", supplier, price, quantity))
    frame = pd.DataFrame(
        lines,
        columns=[
            "ordered_on",
            "site",
            "item_code",
            "description",
            "category",
            "supplier",
            "unit_price",
            "quantity",
        ],
    )
    frame = frame.sort_values("ordered_on", kind="stable", ignore_index=True)
    frame["ordered_on"] = frame["ordered_on"].dt.normalize()
    frame["benchmark_unit_price"] = frame["item_code"].map(_BENCHMARK)
    frame.insert(0, "line_id", _ids("PO", len(frame)))
    return frame


#: A second, synthetic trust whose orders the demo writes beside its own extracts (``export``), so
#: ``stocktake procurement savings --by trust`` has a peer to compare with. It buys what the
#: department buys, about four fifths of the volume, at the department's prices except one item, for
#: which it pays ``PEER_MARKUP`` more: the known answer the comparison must find.
PEER_TRUST = "Southvale Hospitals NHS Trust"
PEER_SITES = {"Northshire General": "Southvale General", "Riverside": "Eastbrook", "Westfield": "Eastbrook"}
PEER_ITEM, PEER_MARKUP = _KNEE[0], 0.12
PEER_VOLUME = 0.8


def peer_trust_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """The peer trust's order lines, made from the department's (``generate()["procurement"]``).

    Canonical procurement columns and a ``trust`` column, line ids of their own. Its quantities are
    drawn from a Generator of its own, seeded from the department's orders (which its seed fixes),
    so the department's tables are drawn exactly as before and the same seed gives the same peer.
    """
    rng = np.random.default_rng([2, len(orders), int(orders["quantity"].sum())])
    peer = orders.assign(
        site=orders["site"].map(PEER_SITES),
        quantity=rng.binomial(orders["quantity"].clip(lower=0).to_numpy(), PEER_VOLUME),
    )
    dearer = peer["item_code"] == PEER_ITEM
    peer["unit_price"] = peer["unit_price"].where(~dearer, (peer["unit_price"] * (1 + PEER_MARKUP)).round(2))
    peer = peer[peer["quantity"] > 0].reset_index(drop=True)
    peer["line_id"] = _ids("SV", len(peer))
    peer.insert(0, "trust", PEER_TRUST)
    return peer


# --- referral to treatment ------------------------------------------------------------------------

_PRIORITY_WAIT_WEEKS = {"P2": 5.0, "P3": 14.0, "P4": 24.0}


#: Procedure groups of the referrals, in the planned theatre lists' mix (``_BOOKING``: elective lists
#: 0.45 / 0.45 / 0.1 hips, knees and spines; day-case lists a third each; ~530 and ~350 cases a month).
_RTT_GROUPS = {
    "hip_replacement": 0.27,
    "knee_replacement": 0.27,
    "spine": 0.06,
    "arthroscopy": 0.13,
    "hand": 0.135,
    "foot_ankle": 0.135,
}
#: Referrals a month: about the planned lists' ~880 cases, less the 5% removed without treatment.
_RTT_PER_MONTH = 900


def _working_days_on(days: pd.Series, working_days: np.ndarray) -> pd.Series:
    """``working_days`` weekdays that are not bank holidays after each day: a planned treatment is on
    a planned list (a reviewer found 38 clock stops on Christmas Day, and a weekend's share at weekends)."""
    first = days.min().date()
    last = (days.max() + pd.Timedelta(days=int(working_days.max(initial=0)) * 2 + 14)).date()
    closed = closed_days(first, last)
    moved = np.busday_offset(
        days.to_numpy().astype("datetime64[D]"), working_days, roll="forward", holidays=closed
    )
    return pd.Series(pd.to_datetime(moved), index=days.index)


def _with_consultants(rng, pathways: pd.DataFrame, consultants: list[str]) -> pd.DataFrame:
    """Each pathway's consultant (a later addition, from its own stream: the department stays as it
    was), one of the department's, blank where no priority is (a pathway not for a list)."""
    drawn = rng.choice(consultants, size=len(pathways))
    pathways = pathways.copy()
    pathways.insert(
        pathways.columns.get_loc("status"), "consultant", np.where(pathways["priority"].notna(), drawn, None)
    )
    return pathways


def _rtt(rng, department, patients):
    """Pathways from two years before the window (a settled waiting list) to the extract date; the
    referrals about match the planned lists' cases, so a month's plan books about a month's
    treatments."""
    starts = arrivals(
        rng, department.earlier(24), _RTT_PER_MONTH, weekday=(1.2, 1.1, 1.0, 1.0, 1.0, 0.05, 0.05)
    ).dt.normalize()
    # a bank holiday refers as few as a weekend day (a reviewer found 33 referrals on Christmas Day)
    closed = starts.dt.date.isin(bank_holidays(starts.min().date(), starts.max().date()))
    starts = starts[~closed | (rng.random(len(starts)) < 0.05)].reset_index(drop=True)
    n = len(starts)
    priority = rng.choice(list(_PRIORITY_WAIT_WEEKS), size=n, p=(0.1, 0.5, 0.4))
    mean_weeks = np.vectorize(_PRIORITY_WAIT_WEEKS.get)(priority)
    waits = rng.gamma(2.0, mean_weeks / 2.0) * 7
    stop = _working_days_on(starts, np.round(waits * 5 / 7).astype(int))
    still_waiting = stop >= department.end
    removed = ~still_waiting & (rng.random(n) < 0.05)
    keep = (stop >= pd.Timestamp(department.start)).to_numpy()
    frame = pd.DataFrame(
        {
            "pathway_id": _ids("RTT", n),
            "patient_id": patients.draw(n),
            "clock_start": starts,
            "clock_stop": stop.where(~still_waiting),
            "priority": priority,
            "procedure_group": rng.choice(list(_RTT_GROUPS), size=n, p=list(_RTT_GROUPS.values())),
            "status": np.where(still_waiting, "waiting", np.where(removed, "removed", "treated")),
        }
    )
    return frame[keep].reset_index(drop=True)
