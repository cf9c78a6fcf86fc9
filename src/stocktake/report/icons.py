"""Making Data Count variation and assurance icons, drawn as small inline SVGs.

Drawn here rather than copied, in the MDC colours: grey for common cause, blue for improvement,
orange for concern, purple for neutral change.
"""

from __future__ import annotations

from html import escape

COLOURS = {
    "common_cause": "#7B7D7D",
    "improvement": "#289DE0",
    "concern": "#FAB428",
    "neutral": "#361475",
    "target": "#DE1B1B",
}

_DOTS_FLAT = [(10, 24), (15, 21), (20, 25), (25, 20), (30, 23)]
_DOTS_UP = [(10, 27), (15, 25), (20, 22), (25, 18), (30, 14)]
_DOTS_DOWN = [(10, 14), (15, 17), (20, 20), (25, 24), (30, 27)]


def _svg(colour: str, label: str, inner: str) -> str:
    return (
        '<svg class="icon" width="40" height="40" viewBox="0 0 40 40" role="img" '
        f'aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<circle cx="20" cy="20" r="17" fill="white" stroke="{colour}" stroke-width="3"/>{inner}</svg>'
    )


def _dots(points, colour: str, highlight: str | None = None) -> str:
    line = " ".join(f"{x},{y}" for x, y in points)
    dots = "".join(
        f'<circle cx="{x}" cy="{y}" r="2" fill="{highlight if highlight and i >= 3 else colour}"/>'
        for i, (x, y) in enumerate(points)
    )
    return f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1"/>{dots}'


def _letter(text: str, colour: str, y: int = 14) -> str:
    return (
        f'<text x="20" y="{y}" font-family="Arial, sans-serif" font-size="9" font-weight="bold" '
        f'text-anchor="middle" fill="{colour}">{text}</text>'
    )


def variation_label(variation_type: str | None, improvement: str) -> str:
    """Plain words for a series' variation, e.g. 'Special cause improvement (high values)'."""
    if variation_type in (None, "common_cause"):
        return "Common cause variation"
    if variation_type.startswith("special_cause_neutral"):
        return f"Special cause, neither better nor worse ({variation_type.rsplit('_', 1)[1]} values)"
    kind = "improvement" if variation_type.endswith("improvement") else "concern"
    high = (improvement == "increase") == (kind == "improvement")
    return f"Special cause {kind} ({'high' if high else 'low'} values)"


def variation_icon(variation_type: str | None, improvement: str) -> str:
    label = variation_label(variation_type, improvement)
    grey = COLOURS["common_cause"]
    if variation_type in (None, "common_cause"):
        return _svg(grey, label, _dots(_DOTS_FLAT, grey))
    kind = "neutral" if "neutral" in variation_type else variation_type.rsplit("_", 1)[1]
    colour = COLOURS[kind]
    high = label.endswith("(high values)")
    points = _DOTS_UP if high else _DOTS_DOWN
    return _svg(
        colour, label, _dots(points, grey, colour) + _letter("H" if high else "L", colour, 12 if high else 35)
    )


ASSURANCE_LABELS = {
    "consistent_pass": "The process will consistently meet the target",
    "consistent_fail": "The process will consistently fail the target",
    "inconsistent": "The process will sometimes meet and sometimes miss the target",
}


#: The colour and letter each assurance type is drawn with, in every renderer.
ASSURANCE_MARKS = {
    "consistent_pass": (COLOURS["improvement"], "P"),
    "consistent_fail": (COLOURS["concern"], "F"),
    "inconsistent": (COLOURS["common_cause"], "?"),
}


def assurance_icon(assurance_type: str | None) -> str:
    if assurance_type is None:
        return '<span class="no-icon">No target</span>'
    label = ASSURANCE_LABELS[assurance_type]
    colour, letter = ASSURANCE_MARKS[assurance_type]
    target_line = f'<line x1="8" y1="26" x2="32" y2="26" stroke="{COLOURS["target"]}" stroke-width="1.5"/>'
    text = (
        f'<text x="20" y="22" font-family="Arial, sans-serif" font-size="16" font-weight="bold" '
        f'text-anchor="middle" fill="{colour}">{letter}</text>'
    )
    return _svg(colour, label, text + target_line)
