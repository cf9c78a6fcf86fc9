"""The Waiting list page: the list now by weeks waited, priority and procedure group, where it is
going in the next 12 months (with its 95% interval), its 18-week performance, the extra theatre
lists a week a target would take, and what-if scenarios (demand growth, extra lists, a validation
sweep) beside the baseline.

Everything shown is counted over groups with small numbers hidden, as the rest of the workspace
hides them, so viewing is not logged. The picture is built once per warehouse (and target) and kept
with the workspace's other results (``Workspace.cached``): the first view takes about a second. A
scenario is worked out on every request from that kept picture (12 months of the weeks-waited
model, a few milliseconds), so moving a slider never rebuilds it; with JavaScript the sliders swap
in only the scenario's results (htmx), without it the form sends the same GET parameters.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from stocktake.appdb import actions
from stocktake.appdb.models import User
from stocktake.ingest.pseudonymise import mask_nhs_numbers
from stocktake.metrics.suppression import MASK, is_small
from stocktake.report.charts import PLOTLY_CONFIG
from stocktake.report.waitinglist import (
    BLUE,
    LEGEND_ABOVE,
    ahead_words,
    chart_title,
    count,
    holds_pathways,
    pct,
    projection_json,
    waiting_list_section,
    warehouse_overview,
)
from stocktake.report.waitinglist import today as london_today
from stocktake.verdicts.waitinglist import (
    HORIZON,
    SHARE_DECIMALS,
    TARGET_PCT,
    Overview,
    OverviewError,
    OwnTarget,
    TargetError,
    figures_hidden,
    lists_hidden,
    own_target,
    reached_hidden,
    retargeted,
)
from stocktake.waitinglist.capacity import NO_DECISION, WaitTarget
from stocktake.waitinglist.scenario import (
    GROWTH_RANGE,
    LISTS_RANGE,
    VALIDATION_RANGE,
    MonthPair,
    Scenario,
    ScenarioError,
    apply,
    compare,
    scenario_inputs,
)
from stocktake.web.pages import render
from stocktake.web.security import database, viewer

router = APIRouter(prefix="/waiting-list")
NO_PATHWAYS = (
    "No waiting list is loaded. Upload the referral-to-treatment pathways (the rtt_pathways extract: "
    "pathway_id, patient_id, clock_start, clock_stop, priority P1–P6, procedure_group and status "
    "waiting, treated or removed; one row per pathway) on the Upload data page."
)
#: The fragment htmx swaps when a slider moves (the element's id, sent as HX-Target).
SCENARIO_TARGET = "scenario-results"
GREY = "#768692"
#: A number as people type one in a field: ASCII digits with at most one point, an optional sign
#: (a minus typed, or "−" as the page and the guide print it, or "+") and an optional "%". Python's
#: float() takes more (``1_0``, other scripts' digits, ``nan``, ``inf``, ``1e3``), none of which
#: anyone means as a share or a setting.
PLAIN_NUMBER = re.compile(r"[-+\u2212]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*%?")
#: A month typed in the "By" field: YYYY-MM in ASCII digits.
PLAIN_MONTH = re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])")
#: How much of a refused value an error quotes (a pasted page is not echoed back whole).
QUOTED = 40


def today() -> date:
    """Today in London (the page's sense of "now"; tests move it)."""
    return london_today()


def _quoted(text: str) -> str:
    """``text`` quoted as the refusal shows it: at most QUOTED characters, then an ellipsis."""
    return repr(text if len(text) <= QUOTED else f"{text[:QUOTED]}…")


def _plain_number(text: str) -> float | None:
    """The number typed, or None when it is not a plain decimal (see PLAIN_NUMBER)."""
    stripped = text.strip()
    if not PLAIN_NUMBER.fullmatch(stripped):
        return None
    return float(stripped.rstrip("%").strip().replace("\u2212", "-"))


def _overview(request: Request, db: Session, target_pct: float | None, target_by: str | None):
    """The list's picture and its chart's JSON, or None and the reason there is none to show."""
    workspace = request.app.state.workspace
    if not workspace.warehouse.exists():
        return None, "There is no warehouse yet: upload the department's extracts first."
    suppress = request.app.state.settings.drilldown_small_numbers == "suppress"
    untargeted = _untargeted(workspace, db, suppress)
    if untargeted is None:
        return None, NO_PATHWAYS
    # Another target is the capacity answer alone, worked out from the picture with the warehouse's
    # lock let go: a viewer trying many targets holds up no one's upload (an outside check).
    return workspace.cached(
        ("waiting-list", target_pct, target_by, suppress),
        db,
        lambda: _picture(untargeted, target_pct, target_by, request.app.state.targets_at_once),
    ), None


class TargetsBusy(OverviewError):
    """As many targets as the server works out at once are being worked out: try again shortly."""


def _untargeted(workspace, db: Session, suppress: bool) -> Overview | None:
    """The list's picture for the page's own target, made once per warehouse revision (another target
    is worked out from it); None without pathways."""
    with workspace.lock:  # an upload writing the warehouse holds it
        if not workspace.cached(("waiting-list-loaded",), db, lambda: holds_pathways(workspace.warehouse)):
            return None
        return workspace.cached(
            ("waiting-list", suppress), db, lambda: warehouse_overview(workspace.warehouse, suppress=suppress)
        )


def warm(app) -> None:
    """Make the page's picture before anyone asks (``web.app``'s warming, after the workspace's)."""
    workspace = app.state.workspace
    if not workspace.warehouse.exists():
        return
    suppress = app.state.settings.drilldown_small_numbers == "suppress"
    with app.state.sessions() as db:
        try:
            _untargeted(workspace, db, suppress)
        except OverviewError:  # the page says why when it is opened
            return


def _picture(untargeted: Overview, target_pct: float | None, target_by: str | None, at_once):
    """The list's picture for the target and its projection chart (drawn once: plotly takes a tenth
    of a second). A new target waits for no one: beyond ``at_once`` being worked out (the server's
    cores), it is refused at once (an outside check's 60 targets at once held every request thread
    and database connection, and other people's pages failed)."""
    asked = target_pct is not None or target_by is not None  # the page's own target is never refused
    if asked and not at_once.acquire(blocking=False):
        raise TargetsBusy("the server is working out other targets just now: ask for this one again shortly")
    try:
        found = retargeted(untargeted, target_pct, target_by)
        return found, projection_json(found)
    finally:
        if asked:
            at_once.release()


def _own_target(workspace, db: Session) -> OwnTarget | None:
    """The department's own target for the share, or None. The stock-take failing (a dataset the
    catalogue cannot read) is the overview page's to show: this page stands without the sentence (an
    outside check: it had failed with a 500 where it had stood before)."""
    try:
        return own_target(workspace.stocktake(db).entries)
    except Exception:  # logged, not swallowed: the overview shows the failure itself
        logging.getLogger(__name__).exception("the waiting list page's own target: the stock-take failed")
        return None


def _target_pct(text: str) -> float:
    value = _plain_number(text)
    if value is None:
        raise TargetError(f"the target share {_quoted(text)} is not a number (a percentage, like 92)")
    if not (math.isfinite(value) and 0 < value <= 100):
        raise TargetError(f"the target share {_quoted(text.strip())} must be more than 0 and at most 100")
    if round(value, SHARE_DECIMALS) != value:
        raise TargetError(
            f"the target share {_quoted(text.strip())} has more than {SHARE_DECIMALS} decimal places "
            "(a percentage like 92 or 92.5)"
        )
    return value


# --- scenarios -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slider:
    """One scenario control: its GET parameter, label, range, step and the value shown."""

    name: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    value: float
    error: str | None = None
    disabled: str | None = None  # why it cannot be used

    @property
    def shown(self) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True)
class ScenarioRow:
    month: str
    waiting: tuple[str, str]
    pct_within_18_weeks: tuple[str, str]
    over_52_weeks: tuple[str, str]


@dataclass(frozen=True)
class ScenarioView:
    sliders: tuple[Slider, ...]
    scenario: Scenario
    words: str
    #: The last projected month under the scenario and the baseline, in a sentence.
    summary: str
    rows: tuple[ScenarioRow, ...]
    figure: str
    #: The extra lists a week the target needs (for "try it"), when the answer is in lists.
    target_lists: float | None
    cases_per_list: float | None
    errors: tuple[str, ...]
    #: The target's month, when it lies after the months the scenario shows (its lists show the way).
    target_beyond: str | None = None
    #: Why the target's answer is not offered as lists: some of its treatments need no operation.
    not_lists_alone: str | None = None

    @property
    def hidden(self) -> bool:
        """Whether a modelled 52-week count is shown as "*" (said under the table)."""
        return any(MASK in row.over_52_weeks for row in self.rows)


def _cases_per_list(found: Overview) -> float | None:
    return found.answer.cases_per_list if found.answer is not None else None


def _target_lists(found: Overview) -> float | None:
    """The target's answer in lists a week, rounded up to the slider's step (so it reaches the target);
    None where lists alone would not reach it (some of the extra treatments need no operation)."""
    answer = found.answer
    if answer is None or answer.lists_per_week is None or answer.lists_per_week <= 0:
        return None
    if not _lists_alone_reach(answer):
        return None
    if found.suppress and (reached_hidden(answer)[1] or lists_hidden(answer)):  # "*": its link would not
        return None
    return answer.lists_to_book


def _setting(text: str, words: str, low: float, high: float) -> tuple[float, str | None]:
    """A slider's value from its GET parameter (blank: 0), or 0 and why it cannot be used; to two
    decimals, finer than any slider's step, so that it reads back plainly (0.0000001 is 0, not 1e-07)."""
    if not text.strip():
        return 0.0, None
    value = _plain_number(text)
    if value is None:
        return 0.0, f"{words} {_quoted(text)} is not a number"
    if not math.isfinite(value) or not low <= value <= high:
        return 0.0, f"{words} must be from {low:g} to {high:g}"
    return round(value, SHARE_DECIMALS) + 0.0, None  # + 0.0: no "-0"


def _sliders(found: Overview, growth: str, lists: str, validation: str) -> tuple[Slider, ...]:
    per_list = _cases_per_list(found)
    lists_high = max(LISTS_RANGE[1], math.ceil(_target_lists(found) or 0))
    g, g_error = _setting(growth, "Demand growth", *GROWTH_RANGE)
    n, n_error = _setting(lists, "Extra theatre lists a week", LISTS_RANGE[0], lists_high)
    v, v_error = _setting(validation, "Validation removals", *VALIDATION_RANGE)
    no_lists = (
        None
        if per_list
        else "No theatre history is loaded, so lists cannot be turned into treatments: upload theatre "
        "cases to use this control."
    )
    if no_lists and n:
        n, n_error = 0.0, "Extra theatre lists need the department's cases per list (no theatre history)"
    return (
        Slider("growth", "Demand growth", "% a year", *GROWTH_RANGE, 0.5, g, g_error),
        Slider(
            "lists", "Extra theatre lists", "a week", LISTS_RANGE[0], lists_high, 0.1, n, n_error, no_lists
        ),
        Slider(
            "validation", "Validation removals", "% of the list, once", *VALIDATION_RANGE, 0.5, v, v_error
        ),
    )


def share_beside(target: WaitTarget):
    """How a share is written beside ``target``: met only when it is (an outside check read 91.97% as
    "92.0%" under the answer that 28.0 extra a week is the least that reaches 92%)."""

    def share(x: float | None) -> str:
        return pct(x) if target.no_52_week_waiters or x is None or math.isnan(x) else target.written(x)

    return share


def _rows(pairs: tuple[MonthPair, ...], suppress: bool = True, share=pct) -> tuple[ScenarioRow, ...]:
    return tuple(
        ScenarioRow(
            pd.Period(p.month, freq="M").strftime("%B %Y"),
            tuple(
                MASK if hide else f"{w:,.0f}"
                for w, hide in zip(p.waiting, _hidden(p, "waiting", suppress), strict=True)
            ),
            tuple(
                MASK if hide else share(x)
                for x, hide in zip(p.pct_within_18_weeks, _hidden(p, "pct", suppress), strict=True)
            ),
            tuple(
                MASK if hide else count(x, suppress=suppress)
                for x, hide in zip(p.over_52_weeks, _hidden(p, "over_52", suppress), strict=True)
            ),
        )
        for p in pairs
    )


def _hidden(pair: MonthPair, figure: str, suppress: bool = True) -> tuple[bool, bool]:
    """Whether the baseline's and the scenario's list size (``waiting``), share within 18 weeks
    (``pct``) or 52-week count (``over_52``) is hidden: the weeks table's rule (``figures_hidden``), on
    the counts a pair has (an outside check: "3 waiting, 100.0% within 18 weeks" was shown)."""
    name = {"waiting": "waiting", "pct": "pct_within_18_weeks", "over_52": "over_52_weeks"}[figure]
    return tuple(
        suppress
        and name
        in figures_hidden({"waiting": w, "within_18_weeks": w * share / 100, "over_52_weeks": over_52})
        for w, share, over_52 in zip(pair.waiting, pair.pct_within_18_weeks, pair.over_52_weeks, strict=True)
    )


@functools.cache
def _template() -> dict:
    """Plotly's "simple_white" template as plotly.js takes it (the page's other charts use it)."""
    import plotly.io as pio

    return pio.templates["simple_white"].to_plotly_json()


def scenario_figure(pairs: tuple[MonthPair, ...], suppress: bool = True) -> dict:
    """Three panels month by month: patients waiting, % within 18 weeks and 52-week waiters, the
    baseline dashed and the scenario solid (a figure the table hides left out). A
    plain plotly.js figure: built as a dict, it costs a millisecond where plotly's figure
    objects take a tenth of a second to validate it on every slider move."""
    months = [p.month for p in pairs]
    title = f"The scenario beside the baseline,<br>{months[0]} to {months[-1]}" if months else "The scenario"

    def shown(pair: MonthPair, figure: str, decimals: int | None) -> tuple:
        values = {"waiting": pair.waiting, "pct": pair.pct_within_18_weeks, "over_52": pair.over_52_weeks}[
            figure
        ]
        hidden = _hidden(pair, figure, suppress)
        return tuple(
            None if hide or (suppress and figure == "over_52" and is_small(round(v))) else round(v, decimals)
            for v, hide in zip(values, hidden, strict=True)
        )

    panels = (
        ("Patients waiting", [shown(p, "waiting", None) for p in pairs]),
        ("% within 18 weeks", [shown(p, "pct", 1) for p in pairs]),
        ("More than 52 weeks", [shown(p, "over_52", None) for p in pairs]),
    )
    domains = ((0.70, 1.0), (0.36, 0.64), (0.0, 0.28))
    data, layout = [], {}
    for row, ((name, values), domain) in enumerate(zip(panels, domains, strict=True), start=1):
        axis = "" if row == 1 else str(row)
        layout[f"yaxis{axis}"] = {"domain": list(domain), "title": {"text": name}, "rangemode": "tozero"}
        if row == 2:
            layout["yaxis2"]["range"] = [0, 100]
        for k, (line, colour, dash) in enumerate(
            (("Baseline (present flows)", GREY, "dash"), ("Scenario", BLUE, "solid"))
        ):
            data.append(
                {
                    "type": "scatter",
                    "x": months,
                    "y": [v[k] for v in values],
                    "xaxis": "x",
                    "yaxis": f"y{axis}",
                    "mode": "lines+markers",
                    "name": line,
                    "legendgroup": line,
                    "showlegend": row == 1,
                    "line": {"color": colour, "dash": dash, "width": 2},
                    "marker": {"size": 4},
                }
            )
    layout.update(
        template=_template(),
        title=chart_title(title, 0.95),
        height=680,
        legend=LEGEND_ABOVE,
        margin={"t": 130, "l": 60, "r": 20},
        xaxis={"type": "category", "anchor": "y3", "title": {"text": "Month"}, "tickangle": -45},
    )
    return {"data": data, "layout": layout}


def _figure_json(figure: dict) -> str:
    return json.dumps({**figure, "config": PLOTLY_CONFIG}, separators=(",", ":"))


def scenario_view(found: Overview, growth: str = "", lists: str = "", validation: str = "") -> ScenarioView:
    """The sliders as asked (a value that cannot be used is set back to 0 with the reason) and the
    scenario's projection beside the page's baseline (the weeks-waited model at the present flows)."""
    sliders = _sliders(found, growth, lists, validation)
    errors = tuple(f"{s.error}." for s in sliders if s.error)
    per_list = _cases_per_list(found)
    try:
        scenario = Scenario(*(s.value for s in sliders))
    except ScenarioError as error:  # the page's ranges keep inside the model's limits: a safety net
        scenario, errors = Scenario(), (*errors, f"{error}.")
    baseline = found.weeks
    months = len(baseline.steps)

    def projected_under(setting: Scenario):
        flows = [found.referrals] * months, [found.capacity] * months
        return apply(baseline.origin, *flows, baseline.params, setting, per_list)

    projected = projected_under(scenario)
    pairs = compare(baseline, projected)
    words = scenario.describe(per_list)
    share = share_beside(found.target)
    last = _rows(pairs[-1:], found.suppress, share)[0]
    summary = (
        f"In {last.month}: {last.waiting[1]} waiting (baseline {last.waiting[0]}), "
        f"{last.pct_within_18_weeks[1]} within 18 weeks (baseline {last.pct_within_18_weeks[0]}), "
        f"{last.over_52_weeks[1]} waiting more than 52 weeks (baseline {last.over_52_weeks[0]})."
    )
    asked = scenario_inputs(baseline.origin, [0.0] * months, [0.0] * months, scenario, per_list).extra.sum()
    # the lists' treatments that find a patient, before a sweep takes its share of those they reach
    # (a director saw a validation blamed on the lists' four-week floor)
    unswept = projected_under(dataclasses.replace(scenario, validation_pct=0.0))
    used = sum(step.extra_treatments for step in unswept.steps)
    if asked - used >= 1:  # 30 lists a week had read as 106 treatments a week with no one left to treat
        soonest = baseline.params.soonest_extra_days / 7
        summary += (
            f" Only {used:,.0f} of the {asked:,.0f} extra treatments these lists give find a patient: the "
            f"model treats no one waiting under {soonest:.0f} weeks from them, so more lists treat no more."
        )
    return ScenarioView(
        sliders=sliders,
        scenario=scenario,
        words=words,
        summary=summary,
        rows=_rows(pairs, found.suppress, share),
        figure=_figure_json(scenario_figure(pairs, found.suppress)),
        target_lists=_target_lists(found),
        cases_per_list=per_list,
        errors=errors,
        target_beyond=_target_beyond(found, months),
        not_lists_alone=_not_lists_alone(found),
    )


def _lists_alone_reach(answer) -> bool:
    """Whether the answer's lists, rounded up, give as many treatments as its uplift: the scenario,
    which gives a list's treatments to the longest waiters, then reaches the target with them alone
    (an outside check: 9.4 lists covered the 0.2 a week with no decision to admit, and reached 98.1%)."""
    return answer.lists_to_book * answer.cases_per_list >= answer.extra_per_week - 1e-9


def _not_lists_alone(found: Overview) -> str | None:
    """Said under the sliders when the target's answer is partly treatments with no decision to admit: its
    lists alone, tried here, would reach less than the target (an outside check tried them)."""
    answer = found.answer
    if answer is None or not answer.extra_per_week or answer.lists_per_week is None:
        return None
    if found.suppress and (reached_hidden(answer)[1] or lists_hidden(answer)):
        # the same words whatever the hidden share: whether its lists alone reach the target, asked
        # of target after target reading one hidden share, had counted 3 and 5 patients (an outside check)
        return (
            f"The target's answer above may be partly treatments {NO_DECISION}, which these lists do not "
            "give: its lists alone may reach less than the target."
        )
    if _lists_alone_reach(answer):
        return None
    others = answer.extra_per_week - (answer.operations_per_week or 0.0)
    if not answer.lists_to_book:
        return (
            f"The target's answer above is treatments {NO_DECISION} only: these controls add "
            "theatre lists, which it does not need."
        )
    return (
        f"The target's answer above is {answer.lists_to_book:.1f} extra theatre lists a week and "
        f"{others:.1f} treatments a week {NO_DECISION}, together: these controls add lists only, "
        f"so its {answer.lists_to_book:.1f} lists alone reach less than the target."
    )


def _target_beyond(found: Overview, months: int) -> str | None:
    """The target's month in words when it is after the scenario's last month: trying its lists then
    shows the way to the target, not the target reached (the capacity answer says what is reached)."""
    by = found.target.by
    return by.strftime("%B %Y") if by > found.weeks.origin.month + months else None


# --- the page ------------------------------------------------------------------------------------


def _sentence(error: Exception | str) -> str:
    text = str(error)
    return text[0].upper() + text[1:] + "."


def _shown(request: Request, db: Session, pct: float | None, by: str | None):
    """The picture for a target already checked, or None and why the list cannot be shown."""
    try:
        return _overview(request, db, pct, by)
    except OverviewError as error:
        return None, f"The waiting list cannot be shown: {error}."


@router.get("")
def waiting_list_page(
    request: Request,
    target: str = "",
    by: str = "",
    growth: str = "",
    lists: str = "",
    validation: str = "",
    user: User = Depends(viewer),
    db: Session = Depends(database),
):
    # An NHS number typed into a field is shown back masked, as every refusal shows one.
    target, by, growth, lists, validation = map(mask_nhs_numbers, (target, by, growth, lists, validation))
    # Each field's problem under its own field (its id the key), the summary linking to it.
    errors: dict[str, str] = {}
    pct_asked, by_asked = None, by.strip() or None
    if target.strip():
        try:
            pct_asked = _target_pct(target)
        except TargetError as error:
            errors["target"] = _sentence(error)
    if by_asked is not None and not PLAIN_MONTH.fullmatch(by_asked):
        errors["by"] = _sentence(
            f"the target month {_quoted(by_asked)} is not a month (YYYY-MM, like 2026-03)"
        )
        by_asked = None
    busy = False
    try:
        picture, problem = _overview(request, db, pct_asked, by_asked)
    except TargetsBusy as error:  # the list with the default target meanwhile, and why
        errors["target"], busy = _sentence(error), True
        picture, problem = _shown(request, db, None, None)
    except TargetError as error:  # the share is checked above: the month is too early or too late
        errors["by" if by_asked is not None else "target"] = _sentence(error)
        picture, problem = _shown(request, db, pct_asked if by_asked is not None else None, None)
    except OverviewError as error:
        picture, problem = None, f"The waiting list cannot be shown: {error}."
    # What cannot be used is left at its default; the form keeps the values as given.
    found, figure = picture if picture is not None else (None, "")
    scenario = scenario_view(found, growth, lists, validation) if found is not None else None
    status = 429 if busy else 422 if errors or (scenario and scenario.errors) else 200
    target_shown = target if errors else f"{found.target.pct_within_18_weeks if found else TARGET_PCT:g}"
    by_shown = by if errors else (str(found.target.by) if found else "")
    moved = request.headers.get("HX-Target") == SCENARIO_TARGET
    if found is not None and not found.suppress:
        # small numbers shown inside the trust: every answer showing them is logged, a slider's too (an
        # outside check fetched the scenario alone, unlogged), capped as refusals are so that a flood
        # of views cannot push the rest off the log's first pages (the rest go to the server's log)
        actions.record_capped(
            db,
            user=user,
            action="waiting_list_viewed",
            subject="waiting-list",
            detail="scenario, small numbers shown" if moved else "small numbers shown",
        )
    # Projections run from the list's own month, however old: said plainly when it is not recent
    # (worded as the board report words it).
    on = today()
    ahead = ahead_words(found.month, on) if found is not None else f"the next {HORIZON} months"
    if scenario is not None and moved:
        return render(  # 200 even with a refused value: htmx swaps no 4xx, and the fragment says why
            request,
            "_waitinglist_scenario.html",
            user,
            found=found,
            scenario=scenario,
            horizon=HORIZON,
            ahead=ahead,
            oob=True,
        )
    own = _own_target(request.app.state.workspace, db) if found is not None else None
    return render(
        request,
        "waitinglist.html",
        user,
        status_code=status,
        title="Waiting list",
        found=found,
        section=waiting_list_section(found, on, own),
        own_target=own,
        figure=figure,
        problem=problem,
        field_errors=errors,  # not ``errors``: base.html would list its keys in a second summary
        target=target_shown,
        by=by_shown,
        scenario=scenario,
        horizon=HORIZON,
        ahead=ahead,
    )
