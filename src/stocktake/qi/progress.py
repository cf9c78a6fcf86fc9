"""The IHI progress score a QI team gives its own project (0.5 to 5.0), as NHS QI platforms use it.

Set by the team, not computed: the scale says what each step means so that scores are comparable
across projects (nhs_metrics_reference.md §5, Life QI and CNWL guidance).
"""

from __future__ import annotations

SCALE: dict[float, str] = {
    0.5: "Intent to participate",
    1.0: "Charter and team established",
    1.5: "Planning for the project has begun",
    2.0: "Activity, but no changes",
    2.5: "Changes tested, but no improvement",
    3.0: "Modest improvement",
    3.5: "Improvement",
    4.0: "Significant improvement",
    4.5: "Sustainable improvement",
    5.0: "Outstanding sustainable results",
}


def describe(score: float) -> str:
    """'3.5 — Improvement'; a score off the scale is an error, not a guess."""
    if score not in SCALE:
        raise ValueError(f"a progress score is one of {', '.join(map(str, SCALE))}, not {score}")
    return f"{score:.1f} — {SCALE[score]}"
