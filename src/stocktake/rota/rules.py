"""The rota rule book: each rule of the 2016 Terms and Conditions for doctors in training (England),
as amended 2019, with its number, its source and how sure the source is, and the limits it uses.

Kept apart from the checker so that the checker, the optimiser's model and the explainer all cite
one table (``shared/reference/nhs_rota_rules.md``: A quoted, B two sources, C one source or
unverified). Rules of confidence C are configurable and marked as unverified wherever they are reported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    number: str
    name: str
    source: str
    confidence: str  # A, B or C

    @property
    def verified(self) -> bool:
        return self.confidence != "C"


RULES = {
    r.number: r
    for r in (
        Rule("R1", "average weekly hours", "TCS 2016 Sch. 3; NHS Employers FAQ", "A"),
        Rule("R2", "hours in any 168 consecutive hours", "TCS 2016 Sch. 3 (2019 wording)", "A"),
        Rule("R3", "shift length", "TCS 2016 Sch. 3", "A"),
        Rule("R4", "rest between shifts", "TCS 2016 Sch. 3", "A"),
        Rule("R5", "consecutive days with a duty, then 48 h rest", "TCS 2016 as amended 2019", "A"),
        Rule(
            "R5a",
            "consecutive days around a low-intensity weekend on call, then 48 h rest",
            "TCS 2016 as amended 2019 (rota checker help text)",
            "A",
        ),
        Rule("R6", "consecutive long shifts (> 10 h), then 48 h rest", "TCS 2016 as amended 2019", "A"),
        Rule("R7", "consecutive long late-evening shifts, then 48 h rest", "NHS Employers FAQ; Messly", "B"),
        Rule(
            "R8", "night shift: 3 h or more between 23:00 and 06:00 (used by R9, R10)", "TCS 2016 Sch. 3", "A"
        ),
        Rule("R9", "consecutive night shifts", "TCS 2016; Hansard PQ 270697 (2019)", "A"),
        Rule(
            "R10", "rest after any night or run of nights", "TCS 2016 as amended 2019; Hansard PQ 270697", "A"
        ),
        Rule("R11", "weekend frequency, absolute maximum 1 in 2", "TCS 2016 Sch. 3", "A"),
        Rule("R11b", "weekend frequency, design limit 1 in 3", "BDI Resourcing 2019 (secondary)", "C"),
        Rule("R12", "length of one on-call period", "TCS 2016 Sch. 3", "A"),
        Rule("R13", "consecutive on-call periods (Sat and Sun excepted)", "TCS 2016 Sch. 3", "A"),
        Rule("R14", "on-call periods in any 7 consecutive days", "TCS 2016 Sch. 3", "A"),
        Rule("R15", "day after an on-call period", "TCS 2016 Sch. 3", "A"),
        Rule("R16", "expected work per 24 h of non-resident on-call", "TCS 2016 Sch. 3", "A"),
        Rule("R16a", "next day's work when 5 h continuous rest on call is not achieved", "unverified", "C"),
        Rule(
            "R17",
            "30-minute breaks (1 if > 5 h, 2 if > 9 h), not in the first or last hour",
            "Messly; BDI",
            "B",
        ),
        Rule(
            "R17b", "a third 30-minute break on a night shift of 12 h or more (2019)", "BDI (secondary)", "C"
        ),
        Rule("R18", "less than full time: average weekly hours pro rata to WTE", "Messly (secondary)", "C"),
        Rule(
            "R19", "notice: duty roster at least 6 weeks before it starts", "BMA rota checker guidance", "B"
        ),
        Rule(
            "R19b",
            "notice of a change to a published rota: at least 8 weeks before the changed duty",
            "unverified: said to be TCS 2016 Sch. 3 para 51, not found in shared/reference (whose 8 weeks, "
            "from the BMA rota checker, is the rota's notice before the post starts)",
            "C",
        ),
        Rule("R20", "exception reporting of hours worked", "Plymouth guidance; Messly", "B"),
    )
}

# Rules that a rota cannot show either way, and why.
NOT_FROM_A_ROTA = {
    "R16a": "it depends on the rest actually achieved while on call, which a rota does not record",
    "R20": "exception reports concern the hours actually worked, not the hours rostered",
    "R19b": "a change is found by comparing a re-planned rota with the published one (the workspace's "
    "Rotas area does), not from one rota",
}

#: Weekend allowance (a percentage of basic pay) by weekend frequency: worked 1 in N weekends or more
#: often, for N in the first column. Confidence C: from memory, to confirm against the TCS, so every
#: band is reported as unverified.
WEEKEND_BANDS = ((2, "10%"), (3, "7.5%"), (4, "6%"), (5, "5%"), (6, "4%"), (7, "3%"), (8, "3%"))

#: Two duties that start on consecutive calendar days are less than 48 h apart (end of the first to
#: start of the second): R13 and R15 never pair duties further apart than this.
NEXT_DAY_HOURS = 48.0


@dataclass(frozen=True)
class Limits:
    """The numbers the rules use. The defaults are the 2019 contract's; C-rated rules can be switched."""

    weekly_hours: float = 48.0
    weekly_hours_opted_out: float = 56.0
    opted_out: frozenset[str] = frozenset()
    hours_in_168: float = 72.0
    shift_hours: float = 13.0
    rest_between_shifts: float = 11.0
    consecutive_shifts: int = 7
    consecutive_days_low_intensity_weekend: int = 12  # R5a
    low_intensity_hours: float = 3.0  # R5a: expected work on each of Saturday's and Sunday's on call
    low_intensity_episodes: float = 3.0
    consecutive_long: int = 4
    consecutive_late_evening: int = 4
    consecutive_nights: int = 4
    rest_after_run: float = 48.0
    rest_after_nights: float = 46.0
    weekends_one_in: int = 2
    check_one_in_three_weekends: bool = True  # R11b: C-rated, configurable
    on_call_hours: float = 24.0
    on_calls_in_7_days: int = 3
    hours_after_on_call: float = 10.0
    on_call_work_per_24h: float = 16.0
    check_third_night_break: bool = True  # R17b: C-rated, configurable
    check_pro_rata_hours: bool = True  # R18: C-rated, configurable
    notice_weeks: int = 6  # R19
    change_notice_weeks: int = 8  # R19b: C-rated (unverified)
    wte: tuple[tuple[str, float], ...] = ()  # whole-time equivalents below 1, for R18

    def cap(self, doctor: str) -> float:
        """R1's average weekly hours for this doctor."""
        return self.weekly_hours_opted_out if doctor in self.opted_out else self.weekly_hours

    @property
    def pair_window_hours(self) -> float:
        """How far apart (end of one duty to start of the next) two duties may be and still fall under a
        rule about a pair of duties: an overlap, R4's rest between shifts, R13 and R15 (the next day)."""
        return max(NEXT_DAY_HOURS, self.rest_between_shifts)

    def pro_rata_cap(self, doctor: str) -> float | None:
        """R18's lower cap for a less-than-full-time doctor; None when it does not apply."""
        fraction = dict(self.wte).get(doctor, 1.0)
        return self.cap(doctor) * fraction if self.check_pro_rata_hours and fraction < 1 else None
