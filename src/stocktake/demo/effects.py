"""The changes the synthetic department goes through: what was injected, when, and which way.

These are the known answers the end-to-end test checks Stocktake's verdicts against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True)
class Effect:
    metric_id: str
    date: date
    expected: Literal["improvement", "concern"]
    description: str


START = date(2022, 4, 1)
MONTHS = 36
VFC_GO_LIVE = date(2023, 7, 1)
LOS_PROGRAMME_START = date(2023, 4, 1)
LOS_PROGRAMME_MONTHS = 18
THEATRE_SCHEDULING_CHANGE = date(2024, 1, 1)
HIP_IMPLANT_SWITCH = date(2023, 10, 1)
WINTER_SURGERY_DELAYS = (date(2024, 12, 1), date(2025, 4, 1))

EFFECTS: tuple[Effect, ...] = (
    Effect(
        "vfc_discharged_at_virtual_review",
        VFC_GO_LIVE,
        "improvement",
        "Virtual Fracture Clinic goes live: simple injuries discharged at virtual review.",
    ),
    Effect(
        "vfc_face_to_face_per_100",
        VFC_GO_LIVE,
        "improvement",
        "Virtual Fracture Clinic goes live: fewer face-to-face fracture clinic attendances.",
    ),
    Effect(
        "vfc_reviewed_within_72h",
        VFC_GO_LIVE,
        "improvement",
        "Virtual Fracture Clinic goes live: every referral reviewed by a consultant within days.",
    ),
    Effect(
        "los_elective_hip",
        LOS_PROGRAMME_START,
        "improvement",
        "Enhanced-recovery programme: elective hip replacement length of stay falls.",
    ),
    Effect(
        "los_elective_knee",
        LOS_PROGRAMME_START,
        "improvement",
        "Enhanced-recovery programme: elective knee replacement length of stay falls.",
    ),
    Effect(
        "daycase_rate_hip_knee",
        LOS_PROGRAMME_START,
        "improvement",
        "Enhanced-recovery programme: up to a fifth of joint replacements go home the same day.",
    ),
    Effect(
        "los_elective_hip_knee",
        LOS_PROGRAMME_START,
        "improvement",
        "Enhanced-recovery programme: elective hip and knee length of stay falls over 18 months.",
    ),
    Effect(
        "theatre_capped_utilisation",
        THEATRE_SCHEDULING_CHANGE,
        "improvement",
        "Six-four-two list scheduling: fuller elective lists.",
    ),
    Effect(
        "theatre_cases_per_list",
        THEATRE_SCHEDULING_CHANGE,
        "improvement",
        "Six-four-two list scheduling: more cases per list.",
    ),
    Effect(
        "theatre_uncapped_utilisation",
        THEATRE_SCHEDULING_CHANGE,
        "improvement",
        "Six-four-two list scheduling: more theatre time used.",
    ),
    Effect(
        "theatre_early_finishes",
        THEATRE_SCHEDULING_CHANGE,
        "improvement",
        "Six-four-two list scheduling: fewer lists finishing early.",
    ),
    Effect(
        "implant_price_variance",
        HIP_IMPLANT_SWITCH,
        "improvement",
        "Procurement switches the cemented hip implant to one priced below benchmark.",
    ),
    Effect(
        "implant_spend_per_case",
        HIP_IMPLANT_SWITCH,
        "improvement",
        "Procurement switches the cemented hip implant to a cheaper equivalent.",
    ),
    Effect(
        "hipfx_surgery_36h",
        WINTER_SURGERY_DELAYS[0],
        "concern",
        "Winter 2024/25: trauma theatre capacity lost to bed pressures; surgery delayed.",
    ),
    Effect(
        "hipfx_prompt_surgery",
        WINTER_SURGERY_DELAYS[0],
        "concern",
        "Winter 2024/25: fewer hip fractures operated on the day of or after arrival.",
    ),
)
