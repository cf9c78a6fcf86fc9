"""A rebase never hides a deterioration (nor an improvement): the sentence, the board report's formats
and the charts.

Hand-made series: 30 steady months alternating 58% and 62% (mean 60, every moving range 4), then
months at 26–28%, clearly below the steady process's lower limit, with a rebase on 1 Jan 2025.
"""

import dataclasses
import re

import numpy as np
import openpyxl
import pandas as pd
import pypdfium2
import pytest

from stocktake.metrics.catalogue import Catalogue, Metric, Target
from stocktake.report.charts import entry_chart, plotly_figure
from stocktake.report.html import render_report
from stocktake.report.pdf import write_pdf
from stocktake.report.xlsx import write_xlsx
from stocktake.verdicts.analysis import analyse
from stocktake.verdicts.stocktake import StockTake, build

MONTHS = pd.date_range("2022-07-01", periods=60, freq="MS")
STEADY = np.tile([58.0, 62.0], 15)
MARKS = {"m": [("2025-01-01", "New pathway")]}


def _stocktake(values, rebase=("2025-01-01",)):
    catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", "increase", "hand-made"),))
    series = {"m": pd.DataFrame({"period": MONTHS[: len(values)], "value": values})}
    results = analyse(catalogue, series, rebase={"m": list(rebase)})
    return build("Test", "hand-made", results, annotations=MARKS)


@pytest.fixture(scope="module")
def hidden():
    """Twenty-six months at 26–28% after the rebase: it restarts the limits, and the fall, more than
    24 months ago, is no longer read across it."""
    return _stocktake(np.r_[STEADY, np.tile([26.0, 28.0], 13)])


def test_six_months_after_a_rebase_are_read_on_the_limits_from_before_it():
    stocktake = _stocktake(np.r_[STEADY, 27, 26, 28, 27, 26, 28])
    entry = stocktake.entries[0]
    # One period of 36 by hand: mean 54.5, mean moving range 123/34 (the jump of 35 screened out),
    # lower limit 54.5 − 2.66 × 123/34 = 44.9.
    assert entry.category == "going_backwards"
    assert entry.sentence.startswith(
        "Special-cause concern: the latest value (28.0%, Jun 2025) is below the lower process limit (44.9%)."
    )
    assert "The change on 1 Jan 2025 does not restart the limits yet: 6 values follow it" in entry.sentence
    assert stocktake.annotations["m"] == [
        ("2025-01-01", "New pathway (limits not restarted: 6 of 12 values)")
    ]


def test_a_recent_rebase_at_a_deterioration_is_the_verdict_not_hidden():
    # Fourteen months at 26–28% since the rebase on 1 Jan 2025, the latest in Feb 2026.
    entry = _stocktake(np.r_[STEADY, np.tile([26.0, 28.0], 7)]).entries[0]
    assert entry.result.variation_type == "common_cause"  # the new period's own limits: 27 ± 2.66 × 2
    assert entry.category == "going_backwards" and entry.before_rebase is None
    # The step at the change, allowing for a straight-line trend (segmented least squares over the 44
    # months): 33, three standard errors 3.0 (months that alternate are not correlated, so no
    # widening); far beyond.
    assert entry.sentence == (
        "Special-cause concern at the change on 1 Jan 2025: the mean moved from 60.0% to 27.0% (worse), "
        "a step more than chance or any trend allows (three standard errors of the step: 3.0%), and the "
        "values vary by chance within their own limits in the 12 months before it (49.4% to 70.6%) and "
        "since (21.7% to 32.3%), where the limits start again. No target is set."
    )


def test_a_recent_rebase_at_an_improvement_keeps_it_in_moved_the_needle():
    """A clinical director marked the month a change worked, and the measure left "Moved the needle"."""
    entry = _stocktake(np.r_[STEADY, np.tile([86.0, 88.0], 7)]).entries[0]
    assert entry.category == "moved_the_needle" and entry.before_rebase is None
    assert entry.sentence.startswith(
        "Special-cause improvement at the change on 1 Jan 2025: the mean moved from 60.0% to 87.0% (better)"
    )


def test_months_that_move_together_or_a_trend_need_a_bigger_step():
    """Outside checks: marks where nothing changed were credited with a step, on a waiting-list share
    whose months drift together, and on a slow trend crossing the mark (up to 40% of simulated
    series). The step is now read by segmented least squares, allowing for a straight-line trend, its
    error widened by √((1 + r) / (1 − r)) for correlated months. Seeds are chosen so that every month
    is common cause on its period's limits: the refusals are the step test's."""
    from stocktake.verdicts.narrative import _correlated

    months = pd.date_range("2022-01-01", periods=36, freq="MS")
    catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", "increase", "hand-made"),))

    def reading(values):
        frame = pd.DataFrame({"period": months, "value": values})
        return build(
            "Test", "hand-made", analyse(catalogue, {"m": frame}, rebase={"m": ["2024-01-01"]})
        ).entries[0]

    rng = np.random.default_rng(11)
    wander = np.zeros(36)
    for t in range(1, 36):
        wander[t] = 0.6 * wander[t - 1] + rng.normal(0, 1)
    assert _correlated(wander - wander.mean()) > 1.5 > _correlated(rng.normal(0, 1, 36))
    wandered = reading(60 + wander)
    assert set(wandered.result.chart.point_type[12:]) == {"common_cause"}
    assert not wandered.sentence.startswith("Special-cause")
    # a slow rise of 0.2 a month, no step: the means differ by about 3.6 (36 × 0.2 / 2)
    trend = 60 + 0.2 * np.arange(36) + np.random.default_rng(14).normal(0, 1, 36)
    trended = reading(trend)
    assert set(trended.result.chart.point_type[12:]) == {"common_cause"}
    assert trend[24:].mean() - trend[:24].mean() > 3
    assert not trended.sentence.startswith("Special-cause")
    stepped = reading(
        60 + np.r_[np.zeros(24), np.full(12, 5.0)] + np.random.default_rng(5).normal(0, 1.5, 36)
    )
    assert stepped.sentence.startswith("Special-cause improvement at the change on 1 Jan 2024")


def test_a_mark_after_the_step_gets_no_credit_for_it():
    """An outside check: a mark on a date where nothing happened, months after a real step, put the
    measure in "Moved the needle" at that date. The months before the mark now hold the step's own
    special cause, so the chart cannot pin the step to the mark: the verdict is the new period's."""
    from datetime import date

    from stocktake.programmes.timing import change_began

    rose = np.r_[STEADY, np.tile([86.0, 88.0], 10)]  # the step in Jan 2025; the mark in Jul 2025
    entry = _stocktake(rose, rebase=("2025-07-01",)).entries[0]
    assert entry.category == "no_change_yet"
    assert entry.sentence.startswith("No evidence of change: the recent values vary by chance")
    # nor can the mark move the change after a programme cohort's start (ADR 31's check)
    dates, types = list(entry.result.x), list(entry.result.chart.point_type)
    assert change_began(dates, types, entry.category, rebases=(date(2025, 7, 1),)) is None


def test_a_step_no_bigger_than_chance_or_a_special_cause_since_is_read_on_the_new_limits():
    # 58/62 then 59/63: the means 1 apart, a step of 0.6 allowing for a trend, within three of its
    # standard errors (3.4)
    small = _stocktake(np.r_[STEADY, np.tile([59.0, 63.0], 7)]).entries[0]
    assert small.category == "no_change_yet"
    assert "the mean moved from 60.0% to 61.0% (better)" in small.sentence
    # a big step, then a month far below and one far above the new limits inside the period since,
    # though the latest point is common cause (an outside check: "Since then, the values vary by
    # chance" was said of a period with special-cause points in it)
    dipped = np.r_[STEADY, np.tile([86.0, 88.0], 3), 60.0, 114.0, np.tile([86.0, 88.0], 4)]
    entry = _stocktake(dipped).entries[0]
    assert {"special_cause_concern", "special_cause_improvement"} <= set(entry.result.chart.point_type[30:])
    assert entry.result.variation_type == "common_cause"
    assert entry.category == "no_change_yet"
    assert entry.before_rebase.category == "moved_the_needle"  # the warning gives the other reading


def test_a_rebase_more_than_24_months_back_restarts_the_verdict_and_keeps_the_reading_before_it(hidden):
    entry = hidden.entries[0]
    assert entry.category == "no_change_yet"  # common cause, and no target: nothing says it should move
    assert entry.sentence.startswith(
        "No evidence of change: the recent values vary by chance within the process"
    )
    assert "(21.7% to 32.3%)" in entry.sentence
    # Without it, by hand: 56 values, mean (1800 + 702)/56 = 44.7, mean moving range 166/54 (the jump
    # of 36 screened out), lower limit 44.7 − 2.66 × 166/54 = 36.5.
    assert entry.before_rebase.category == "going_backwards"
    assert (
        "Going backwards without the rebase on 1 Jan 2025: with one set of limits running across it, "
        "the latest value (28.0%, Feb 2027) is below the lower process limit (36.5%)." in entry.sentence
    )


def test_a_rebase_that_changes_nothing_adds_no_second_reading_and_says_the_mean_stayed():
    entry = _stocktake(np.r_[STEADY, np.tile([58.0, 62.0], 7)]).entries[0]
    assert entry.before_rebase is None
    assert entry.sentence == (
        "No evidence of change: the recent values vary by chance within the process limits "
        "(49.4% to 70.6%) around a mean of 60.0%. At the change on 1 Jan 2025, where the limits start "
        "again, the mean stayed at 60.0%. No target is set."
    )


def test_the_board_report_shows_the_reading_before_the_rebase_in_every_format(hidden, tmp_path):
    said = "Going backwards without the rebase on 1 Jan 2025"
    page = render_report(hidden)
    assert f"Measure</a> (<strong>{said}</strong>)" in page  # the headline list on page one
    assert "The rebase changed this verdict:" in page
    book = openpyxl.load_workbook(write_xlsx(hidden, tmp_path / "s.xlsx"))
    header, row = (list(r) for r in book["Summary"].iter_rows(min_row=4, max_row=5, values_only=True))
    assert row[header.index("Verdict without the latest rebase, where it changed")] == said
    pdf = pypdfium2.PdfDocument(write_pdf(hidden, tmp_path / "s.pdf"))
    text = " ".join(p.get_textpage().get_text_range() for p in pdf).replace("\r\n", " ").replace("\n", " ")
    assert said in text


def test_limits_from_fewer_than_twelve_values_are_drawn_and_named_provisional():
    # A rebase at month 9 that 14 months follow: the first period's limits rest on 9 values.
    values = np.r_[np.tile([58.0, 62.0], 4), 60.0, np.tile([58.0, 62.0], 7)]
    entry = _stocktake(values, rebase=(MONTHS[9].date().isoformat(),)).entries[0]
    lines = {t.name: t.y for t in plotly_figure(entry_chart(entry)).data if t.name}
    first = [v for v in lines["Upper process limit (provisional)"] if v is not None]
    later = [v for v in lines["Upper process limit"] if v is not None]
    assert len(first) == 9 and len(later) == 14
    assert "Lower process limit (provisional)" in lines and "Mean (provisional)" in lines


def test_a_latest_value_with_one_to_seven_behind_it_is_never_quoted():
    # 30 steady months of 100 patients each, then a month of 5 patients of whom none was seen in time:
    # 0% is far below the lower limit, and a value resting on 5 people is shown as "*" in every export.
    values = np.r_[STEADY, 0.0]
    denominator = np.r_[np.full(30, 100.0), 5.0]
    catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", "increase", "hand-made"),))
    frame = pd.DataFrame(
        {
            "period": MONTHS[:31],
            "value": values,
            "numerator": values * denominator / 100,
            "denominator": denominator,
        }
    )
    entry = build("Test", "hand-made", analyse(catalogue, {"m": frame})).entries[0]
    assert entry.category == "going_backwards"
    assert entry.sentence.startswith(
        "Special-cause concern: the latest value (*: not shown, so that no patient can be recognised, "
        "Jan 2025)"
    )
    zero = re.compile(r"(?<![0-9.])0\.0%")  # the hidden 0.0%, not a coarse limit's 40.0%
    assert not zero.search(entry.sentence)
    assert not zero.search(render_report(build("Test", "hand-made", analyse(catalogue, {"m": frame}))))


def test_a_rebase_overshadowing_an_earlier_one_is_read_without_it_against_the_earlier_one():
    # Rebases on 1 Jan and 1 Feb 2025, then 14 months at 26–28%. Feb (13 values after it) is used and
    # Jan, one value before it, is not. Without Feb, Jan's 14 values would restart the limits: the
    # verdict is the same common cause, so Feb changed nothing and no other reading is reported.
    fallen = np.r_[STEADY, np.tile([26.0, 28.0], 7)]
    both = _stocktake(fallen, rebase=("2025-01-01", "2025-02-01")).entries[0]
    assert both.category == "no_change_yet" and both.before_rebase is None
    alone = _stocktake(fallen, rebase=("2025-02-01",)).entries[0]
    # the fall began in January, before the mark: the step is not pinned to 1 Feb, and without the
    # mark there is no restart at all
    assert alone.category == "no_change_yet"
    assert alone.before_rebase.category == "going_backwards"


def test_a_stocktake_with_no_measure_says_so_rather_than_failing():
    """A warehouse holding only extracts no measure reads (orders, say) still has an overview."""
    empty = StockTake("T&O", "Warehouse", entries=(), no_data=(("hipfx_surgery_36h", ("episodes",)),))
    assert empty.period_label == "No measure has data yet"
    assert empty.no_data_lines == ["hipfx_surgery_36h (needs episodes)"]


def test_the_targets_projection_reads_only_the_shown_values():
    """An outside check re-ran the projection for each of 1–7 in a hidden month and only the true one
    gave the sentence's "reached around …". Two departments that differ only in a hidden month (5
    patients, none or three of them died) now read the same, word for word."""
    catalogue = Catalogue(
        "Test",
        (Metric("m", "Deaths", "Area", "%", "decrease", "hand-made", target=Target(5.0, "hand-set")),),
    )
    rng = np.random.default_rng(3)
    patients = np.full(36, 40.0)
    deaths = np.round(np.linspace(12, 6, 36) + rng.normal(0, 1, 36))
    patients[30] = 5.0

    def said(died: float) -> str:
        d = deaths.copy()
        d[30] = died
        frame = pd.DataFrame(
            {"period": MONTHS[:36], "value": 100 * d / patients, "numerator": d, "denominator": patients}
        )
        return build("Test", "hand-made", analyse(catalogue, {"m": frame})).entries[0].sentence

    assert "target would be reached around" in said(0.0)
    assert said(0.0) == said(3.0)


def test_a_run_that_began_at_the_marked_change_is_not_told_to_be_marked():
    """An outside check: "consider whether a change was made and should be marked" stood beside the
    mark itself, for a run that began where the limits restart."""
    values = np.r_[STEADY, np.tile([64.0, 66.0], 4), np.tile([55.0, 67.0], 5)]
    entry = _stocktake(values).entries[0]
    assert (
        "A run of 8 months above the mean from January to August 2025 (special-cause improvement) ended; "
        "it began where the limits start again, at the change marked there." in entry.sentence
    )
    assert "should be marked" not in entry.sentence


def test_a_signal_on_a_stock_says_it_needs_a_cause():
    """ADR 50: a measure counted at each month's end (a census) drifts; its signals carry a caution,
    a flow measure's do not, and the category stays Making Data Count's."""
    from stocktake.metrics.catalogue import Aggregate

    census = Aggregate("rtt_pathways", "clock_start", census=("clock_start", "clock_stop"))
    flow = Metric("flow", "Flow", "Area", "%", "increase", "hand-made")
    stock = dataclasses.replace(flow, id="stock", title="Stock", numerator=census)
    assert stock.stock and not flow.stock
    values = np.r_[STEADY, np.tile([86.0, 88.0], 7)]
    frame = pd.DataFrame({"period": MONTHS[: len(values)], "value": values})
    taken = build(
        "Test", "hand-made", analyse(Catalogue("Test", (flow, stock)), {"flow": frame, "stock": frame})
    )
    said = {e.result.metric.id: e for e in taken.entries}
    assert said["flow"].category == said["stock"].category == "moved_the_needle"
    assert "find its cause before crediting or blaming one" in said["stock"].sentence
    assert "find its cause" not in said["flow"].sentence


def test_a_share_stepping_up_to_100_percent_stays_in_moved_the_needle():
    """An outside check (ADR 51): a change from 60% to about 100%, marked with a restart, read "Going
    backwards" (one month at 99% below limits of 99.9% to 100%) or "No evidence of change" (the months
    at 100% a run above a mean just short of it). Piled on the bound, every month above the limits
    before the change, the months since are not read on their own limits; the step still has to pass
    its test."""
    entry = _stocktake(np.r_[STEADY, [100.0] * 13 + [99.0]]).entries[0]
    assert entry.category == "moved_the_needle"
    assert entry.sentence.startswith(
        "Special-cause improvement at the change on 1 Jan 2025: the mean moved from 60.0% to 99.9% (better)"
    )
    # 99% is above every month before (58–62%) and 1 point from 100%, within the 10.6 points those
    # months varied by chance from their mean (2.66 × a moving range of 4)
    assert (
        "in the 12 months before it (49.4% to 70.6%); since it, the values sit at 100.0% in 13 of 14 months, "
        "the other at 99.0%, no lower than any of the 12 months before it and as near 100.0% as those "
        "months varied by chance. Limits drawn from month-to-month changes close on 100.0% when most months "
        "sit there, so a month off it, or a mean just short of it, reads as a special cause even where the "
        "service has not changed: the months since are not read on their own limits."
    ) in entry.sentence
    perfect = _stocktake(np.r_[STEADY, [100.0] * 14]).entries[0]  # an outside check: "No evidence of change"
    assert perfect.category == "moved_the_needle"
    assert (
        "since it, the values sit at 100.0% in all 14 months, where no limits can be drawn"
        in perfect.sentence
    )
    # from a baseline in the 90s no month can pass the old upper limit (102.3%): an outside check found
    # one month at 99% read "Going backwards"
    high = _stocktake(np.r_[np.tile([96.0, 98.0], 15), [100.0] * 13 + [99.0]]).entries[0]
    assert high.category == "moved_the_needle"
    runs = _stocktake(np.r_[STEADY, [100.0, 100, 100, 99] + [100.0] * 8 + [98, 100]]).entries[0]
    assert runs.category == "moved_the_needle"
    assert "consider whether a change was made" not in runs.sentence  # the run is the bound's doing
    # all common cause on their own limits: the usual words, the limits quoted
    spread = _stocktake(np.r_[STEADY, [99.0, 100, 100, 99, 100, 100, 100, 99, 100, 100, 100, 100, 98, 100]])
    assert "and since (97.8% to 100.0%), where the limits start again" in spread.entries[0].sentence


@pytest.mark.parametrize(
    "since",
    [
        [100.0] * 8 + [97, 95, 93, 92, 90, 88],  # a slide: half of the latest six off the bound
        [100.0] * 11 + [80, 80, 80],  # a fall that lasts: months off the bound side by side
        [100.0] * 11 + [95, 90, 85],
        [100.0] * 8 + [100, 70, 100, 60, 100, 50],  # alone, but back inside the limits before the change
        [100.0] * 12 + [0, 100],
        [100.0] * 13 + [71],  # alone and the latest: further off than the months before varied
        [100.0] * 10 + [71, 100, 100, 71],
        [100.0] * 11 + [80, np.nan, 80],  # a missing month between two off it: side by side
    ],
)
def test_a_fall_after_a_step_to_100_percent_is_not_credited(since, before=STEADY):
    """An outside check: each of these was credited "Moved the needle", its falls called months off the
    bound. Months off it must each stand alone (a missing or hidden month beside one counts as off), fall
    outside the limits since (so close are they to 100%), be better than every month before the change
    and no further from 100% than those months varied by chance."""
    entry = _stocktake(np.r_[before, since]).entries[0]
    assert not entry.sentence.startswith("Special-cause improvement at the change")
    assert "not read on their own limits" not in entry.sentence


@pytest.mark.parametrize(
    "before, since",
    [
        (np.tile([96.0, 98.0], 15), [100.0] * 13 + [95]),  # the worst month on the chart, within the reach
        (np.tile([96.0, 98.0], 15), [100.0] * 10 + [95, 100, 100, 95]),
        (np.tile([45.0, 75.0], 15), [100.0] * 13 + [25]),  # a noisy baseline: its reach is 80 points
        (np.tile([35.0, 85.0], 15), [100.0] * 13 + [70]),
    ],
)
def test_a_month_no_better_than_before_the_change_is_not_credited(before, since):
    """A re-check: with the months before the change varying widely, "as near 100% as they varied by
    chance" let a month worse than all of them (95% after 96–98%), or back at the old level, be credited,
    and quoted a reach no chart shows ("no further from 100.0% than -33.0%")."""
    test_a_fall_after_a_step_to_100_percent_is_not_credited(since, before)


def test_after_a_restart_a_large_fall_carries_no_caution_to_count_the_misses():
    """A re-check: a 60-point fall after months at 100% (the step test failed on a noisy baseline) was
    told to count the months off 100% before reading it as a change."""
    entry = _stocktake(np.r_[np.tile([35.0, 85.0], 15), [100.0] * 13 + [40]]).entries[0]
    assert entry.category == "going_backwards" and "count the months off" not in entry.sentence


def test_a_measure_where_lower_is_better_at_0_percent():
    catalogue = Catalogue("Test", (Metric("m", "Harm", "Area", "%", "decrease", "hand-made"),))

    def entry(since):
        values = np.r_[np.tile([2.0, 4.0], 15), since]
        frame = pd.DataFrame({"period": MONTHS[: len(values)], "value": values})
        return build(
            "Test",
            "hand-made",
            analyse(catalogue, {"m": frame}, rebase={"m": ["2025-01-01"]}),
            annotations=MARKS,
        ).entries[0]

    held = entry([0.0] * 13 + [1.0])
    assert held.category == "moved_the_needle"
    assert (
        "sit at 0.0% in 13 of 14 months, the other at 1.0%, no higher than any of the 12 months before it"
        in held.sentence
    )
    assert entry([0.0] * 13 + [5.0]).category == "going_backwards"  # worse than every month before


def _plain(values, improvement="increase", numerator=None, denominator=None):
    catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", improvement, "hand-made"),))
    frame = pd.DataFrame({"period": MONTHS[: len(values)], "value": values})
    if numerator is not None:
        frame = frame.assign(numerator=numerator, denominator=denominator)
    return build("Test", "hand-made", analyse(catalogue, {"m": frame})).entries[0]


def test_a_signal_on_limits_closed_on_100_percent_says_to_count_the_misses():
    """No restart: twenty months at 100% and one at 99% is special-cause concern on an XmR chart (its
    limits are 100% to 100%); the category stands, as Making Data Count reads it, with the reason to
    count the months off 100% instead. A count at 0 is not a percentage: nothing added."""
    entry = _plain(np.r_[[100.0] * 20, 99.0])
    assert entry.category == "going_backwards"
    assert (
        "On these limits the values sit at 100.0% in 20 of 21 months, the other at 99.0%. Limits drawn from "
        "month-to-month changes close on 100.0% when most months sit there, so a month off it, or a mean "
        "just short of it, reads as a special cause even where the service has not changed: count the "
        "months off 100.0% before reading this as a change."
    ) in entry.sentence
    counts = Catalogue("Test", (Metric("m", "Measure", "Area", "cases", "decrease", "hand-made"),))
    frame = pd.DataFrame({"period": MONTHS[:21], "value": np.r_[[0.0] * 20, 1.0]})
    assert "sit at" not in build("Test", "hand-made", analyse(counts, {"m": frame})).entries[0].sentence


@pytest.mark.parametrize(
    "values",
    [
        np.r_[STEADY[:12], [100.0] * 13, 99.0],  # a real shift up to 100%: limits of 76.5% to 86.5%
        np.r_[[95.0] * 10, [100.0] * 10],  # a step within the period: half its moving ranges not 0
    ],
)
def test_a_real_shift_to_100_percent_carries_no_caution(values):
    """An outside check: the note told a director to distrust a 40-point improvement whose limits sit
    far below 100%. It is said only where the limits close on the bound."""
    entry = _plain(values)
    assert entry.category == "moved_the_needle"
    assert "sit at" not in entry.sentence


def test_a_dip_below_the_mean_beside_months_at_100_percent_is_still_said_to_have_ended():
    """An outside check: an eight-month dip below the mean, between months at 100%, was no longer
    reported; the bound can only make runs on its own side of the mean."""
    entry = _plain(np.array([100.0] * 6 + [80, 94, 82, 93, 84, 94, 81, 94] + [100.0] * 6))
    assert "A run of 8 months below the mean" in entry.sentence


def test_a_hidden_month_is_not_counted_at_100_percent_or_beside_its_neighbours():
    """An outside check: a hidden month (5 patients) at 5/5 read "Moved the needle" and at 4/5 "Going
    backwards". Hidden months take no part in the count of months at 100% or in the rule that months
    off it stand alone, and the count says it is of the months shown. (The limits themselves are
    drawn from every month, hidden or not, as every verdict's are: ADR 9.)"""
    patients = np.full(44, 40.0)
    patients[41] = 5.0

    def entry(treated_in_hidden_month, after=(40.0, 39.0)):
        treated = np.r_[STEADY * 0.4, [40.0] * 8, [40, 39, 40], treated_in_hidden_month, after]
        values = 100 * treated / patients
        catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", "increase", "hand-made"),))
        frame = pd.DataFrame(
            {"period": MONTHS[:44], "value": values, "numerator": treated, "denominator": patients}
        )
        results = analyse(catalogue, {"m": frame}, rebase={"m": ["2025-01-01"]})
        return build("Test", "hand-made", results, annotations=MARKS).entries[0]

    full = entry(5.0)
    assert full.result.hidden[41] and full.category == "moved_the_needle"
    assert (
        "sit at 100.0% in 11 of the 13 months shown, the others as low as 97.5%, each no lower than"
        in full.sentence
    )
    # a month off 100% beside the hidden one: side by side whatever the hidden month holds
    for hidden_month in (5.0, 0.0):
        beside = entry(hidden_month, after=(39.0, 40.0))
        assert "not read on their own limits" not in beside.sentence


def test_at_bound_needs_half_of_all_and_of_the_latest_six_and_limits_closed_on_it():
    from stocktake.verdicts.narrative import Bound, at_bound

    def bound(values, lpl=99.5, upl=100.5, hidden=None):
        return at_bound(np.array(values, float), "%", lpl, upl, hidden)

    assert bound([100.0] * 6 + [99.0] * 6) is None  # the latest six all off it
    assert bound([99.0] * 6 + [100.0, 99.0] * 3) is None  # a quarter of all
    assert bound([100.0] * 8 + [99.0, 100, 98, 100]) == Bound(100.0, 10, 12)
    assert bound([100.0] * 8 + [99.0, 100, 98, 100], lpl=98.5) is None  # 99% inside the limits
    assert bound([100.0] * 12, lpl=np.nan, upl=np.nan) == Bound(100.0, 12, 12)  # no variation at all
    assert bound([100.0] * 8 + [99.0, 98, 100, 100]) is None  # two off side by side
    assert bound([0.0] * 7 + [np.nan, 0.0, 2.0], lpl=-0.5, upl=0.5) == Bound(0.0, 8, 9)
    assert bound([99.9999999] * 12, lpl=np.nan, upl=np.nan) == Bound(100.0, 12, 12)
    assert bound([100.0] * 12) is None  # none off it, yet limits: drawn from hidden months, not the bound's
    assert at_bound(np.array([100.0] * 12), "days", 99.5, 100.5) is None
    # a hidden month takes no part in the count, and may be off it: beside a month off it, side by side
    hidden = np.r_[np.zeros(10, bool), True, False]
    assert bound([100.0] * 9 + [100.0, 50.0, 99.0], hidden=hidden) is None
    assert bound([100.0] * 9 + [99.0, 50.0, 100.0], hidden=hidden) is None
    assert bound([100.0] * 8 + [99.0, 100.0, 50.0, 100.0], hidden=hidden) == Bound(100.0, 10, 11, True)
    assert bound([100.0] * 9 + [100.0, np.nan, 99.0]) is None


def test_beside_hidden_months_limits_that_exist_are_not_denied():
    """A re-check: every shown month at 100% but hidden months of 3/5 read "where no limits can be drawn
    from months that do not vary" beside a chart drawing limits. That is said only where the chart has
    none."""
    entry = _at_100_since_beside_small_months([38, 40, 42], treated=3.0)
    assert np.isfinite(entry.result.chart.latest.lpl)
    assert "no limits can be drawn" not in entry.sentence


def _at_100_since_beside_small_months(months, treated):
    """58/62% of 40 patients a month, then 14 months at 40 of 40 after a rebase, but ``months`` of 5
    patients (hidden), ``treated`` of them."""
    patients = np.full(44, 40.0)
    patients[months] = 5.0
    counts = np.r_[STEADY * 0.4, [40.0] * 14]
    counts[months] = treated
    catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", "increase", "hand-made"),))
    frame = pd.DataFrame(
        {
            "period": MONTHS[:44],
            "value": 100 * counts / patients,
            "numerator": counts,
            "denominator": patients,
        }
    )
    results = analyse(catalogue, {"m": frame}, rebase={"m": ["2025-01-01"]})
    return build("Test", "hand-made", results, annotations=MARKS).entries[0]


@pytest.mark.parametrize("level", [0.0, 60.0])
def test_a_new_pathway_from_a_level_that_never_varied_to_100_percent(level):
    """A re-check: the months before the change at one level throughout (0%: the pathway did not exist
    yet) have no limits, so the step was never read: 13 months at 100% and one at 99% read "Going
    backwards", 14 at 100% "No evidence of change". A period before that did not vary is settled; a
    month off 100% since must then be nearer 100% than that level (halfway)."""
    before = np.full(30, level)
    held = _stocktake(np.r_[before, [100.0] * 13 + [99.0]]).entries[0]
    assert held.category == "moved_the_needle"
    assert f"the values held at {level:.1f}% in the 12 months before it; since it" in held.sentence
    assert (
        "no lower than any of the 12 months before it and nearer 100.0% than to their level" in held.sentence
    )
    assert _stocktake(np.r_[before, [100.0] * 14]).entries[0].category == "moved_the_needle"
    fell = _stocktake(np.r_[before, [100.0] * 13 + [(level + 100) / 2 - 5]]).entries[0]
    assert fell.category == "going_backwards"


def test_a_month_equal_to_the_best_month_before_is_no_fall_and_only_the_judged_months_count():
    """A re-check: after 96–98%, 98.0% read "Going backwards" and 98.1% "Moved the needle"; and one
    month at 99.5% two years before the change, outside the 12 the step is judged on, decided it."""
    assert _stocktake(np.r_[np.tile([96.0, 98.0], 15), [100.0] * 13 + [98.0]]).entries[0].category == (
        "moved_the_needle"
    )
    old_month = STEADY.copy()
    old_month[5] = 99.5
    assert _stocktake(np.r_[old_month, [100.0] * 13 + [99.0]]).entries[0].category == "moved_the_needle"


def _counted(values, numerator, denominator, improvement="increase"):
    """A measure whose numerator is a count of cases (the catalogue's `statistic: count`)."""
    from stocktake.metrics.catalogue import Aggregate

    counted = Aggregate("hip_fractures", "arrived_at")
    metric = Metric(
        "m", "Measure", "Area", "%", improvement, "hand-made", numerator=counted, denominator=counted
    )
    frame = pd.DataFrame(
        {"period": MONTHS[: len(values)], "value": values, "numerator": numerator, "denominator": denominator}
    )
    return build("Test", "hand-made", analyse(Catalogue("Test", (metric,)), {"m": frame})).entries[0]


@pytest.mark.parametrize(
    ("latest", "cases", "noted"),
    [
        (12, 30, False),  # 40%: 18 misses in 30 after 600 cases without one, p ≈ 1e-20: a fall
        (29, 30, True),  # 96.7%: one miss in 30 after 600 without one, p = 30/630 ≈ 0.05: maybe chance
        (99, 100, True),  # 99%: one miss in 100 after 2,000 without one, p ≈ 0.048
        (95, 100, False),  # five misses in 100 after 2,000 without one: p ≈ 2e-7
    ],
)
def test_a_fall_from_100_percent_clear_on_its_own_counts_is_not_put_down_to_the_limits(latest, cases, noted):
    """An outside check: 20 months at 100% then one at 40% was told to "count the months off 100%
    before reading this as a change". With the counts known, a month whose misses months at 100%
    make unlikely (Fisher's exact test, one-sided, p < 0.00135) is a fall, and the note is not said;
    one miss in a month is still as likely as not chance, and keeps it."""
    denominator = np.r_[[cases] * 20, cases]
    entry = _counted(np.r_[[100.0] * 20, 100 * latest / cases], np.r_[[cases] * 20, latest], denominator)
    assert entry.category == "going_backwards"
    assert ("count the months off 100.0%" in entry.sentence) is noted


def test_misses_at_0_percent_are_the_events_and_without_counts_the_note_stays():
    """Lower is better, sitting at 0%: the misses are the events. Without counts (no numerator that
    is a count), nothing can be said of chance, and the note stays, as before."""
    entry = _counted(np.r_[[0.0] * 20, 40.0], np.r_[[0] * 20, 12], [30] * 21, improvement="decrease")
    assert entry.category == "going_backwards" and "count the months off" not in entry.sentence
    assert "count the months off 100.0%" in _plain(np.r_[[100.0] * 20, 40.0]).sentence


def test_a_month_back_at_100_percent_after_one_bad_month_keeps_the_note_whatever_the_counts():
    """Back at 100% after one month at 40%: the limits close on a mean just short of 100%, so the
    latest month reads "above the upper limit". That signal is the closed limits' doing, however
    clear the bad month is on its counts: the note stays."""
    entry = _counted(np.r_[[100.0] * 20, 40.0, 100.0], np.r_[[30] * 20, 12, 30], [30] * 22)
    assert entry.category == "moved_the_needle"
    assert "count the months off 100.0% before reading this as a change" in entry.sentence


def test_a_step_to_a_level_whose_mean_is_hidden_says_which_way_not_a_dash():
    """Beside a hidden month (5 of 5) in months since at 100% that never vary, the period's mean is not
    exported (ADR 9: it would be every value): the sentence read "the mean moved from 60.0% to –"."""
    entry = _at_100_since_beside_small_months([40], treated=5.0)
    assert entry.category == "moved_the_needle" and " to –" not in entry.sentence
    assert (
        "the mean rose from 60% (better; its level since is not given beside hidden months)" in entry.sentence
    )


def test_a_coarse_mean_beside_a_hidden_month_is_written_to_its_own_step_not_the_measures_decimals():
    """An outside check read "a mean of 8.0%" as exact where the mean was 7.66% rounded to 2 beside a
    hidden month. Rounded to a whole step, it now reads as rounded; without a hidden month, as before."""
    catalogue = Catalogue("Test", (Metric("m", "Measure", "Area", "%", "increase", "hand-made"),))

    def sentence(last_cases: float) -> str:
        values = np.r_[np.tile([57.0, 63.5], 15), 60.0]
        denominator = np.r_[np.full(30, 100.0), last_cases]
        frame = pd.DataFrame(
            {
                "period": MONTHS[:31],
                "value": values,
                "numerator": values * denominator / 100,
                "denominator": denominator,
            }
        )
        return build("Test", "hand-made", analyse(catalogue, {"m": frame})).entries[0].sentence

    exact, coarse = sentence(100.0), sentence(5.0)  # 3 of 5 in the last month: hidden
    assert "a mean of 60.2%" in exact
    assert re.search(r"a mean of 60%\.", coarse) and not re.search(r"\d\.0%", coarse), coarse
