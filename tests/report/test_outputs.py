"""`stocktake report` on the demo warehouse: every format, suppression, period, targets and changes."""

import base64
import html
import json
import re

import numpy as np
import openpyxl
import pypdfium2
import pytest

from stocktake.demo.run import run_demo
from stocktake.report.inputs import ReportInputError
from stocktake.report.run import ReportRequest, stock_take, write_report
from stocktake.verdicts.narrative import coarse_places

pytestmark = pytest.mark.e2e

CHANGES = (
    "metric_id,date,label,rebase\n"
    "vfc_discharged_at_virtual_review,2023-07-01,VFC go-live,yes\n"
    "*,2024-01-01,New lead,no\n"
)
TARGETS = """targets:
  los_elective_hip_knee:
    baseline: {start: 2022-04-01, end: 2023-03-01}
    benchmark: {value: 1.0, source: GIRFT ambulatory guidance, year: 2021}
    trajectory: [{date: 2024-04-01, value: 3.0}, {date: 2025-03-01, value: 2.3}]
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    run_demo(root / "demo")
    (root / "changes.csv").write_text(CHANGES)
    (root / "targets.yaml").write_text(TARGETS)
    request = ReportRequest(
        root / "demo" / "warehouse.duckdb",
        root / "out",
        annotations=root / "changes.csv",
        targets=root / "targets.yaml",
    )
    paths = {p.suffix: p for p in write_report(request)}
    return request, stock_take(request), paths


def test_pdf_renders_summary_first_with_page_numbers(report):
    _, _, paths = report
    pdf = pypdfium2.PdfDocument(paths[".pdf"])
    assert len(pdf) >= 5
    first = pdf[0].get_textpage().get_text_range()
    assert "stock-take" in first and "Summary matrix" in first and "Page 1 of" in first
    image = np.asarray(pdf[3].render(scale=1).to_pil().convert("L"))
    assert image.shape[0] > image.shape[1]  # A4 portrait
    assert (image < 128).mean() > 0.005  # text and a chart, not a blank page


def test_small_numbers_never_leak(report):
    _, stocktake, paths = report
    entries = [e for e in stocktake.entries if e.hidden.any()]
    assert entries, "the demo has small monthly counts (hip fracture deaths) to suppress"
    book = openpyxl.load_workbook(paths[".xlsx"])
    rows = {(r[0], r[3].date().isoformat()): r for r in book["Series"].iter_rows(min_row=2, values_only=True)}
    html = paths[".html"].read_text()
    pattern = r'<section class="metric" id="([^"]+)".*?Plotly.newPlot\(\s*"[^"]+",\s*(\[.*?\]),\s*\{'
    charts = {section: json.loads(data) for section, data in re.findall(pattern, html, re.S)}
    for entry in entries:
        metric = entry.result.metric
        for i in np.flatnonzero(entry.hidden):
            row = rows[(metric.id, entry.result.x[i].date().isoformat())]
            assert row[4:7] == ("*", "*", "*")
        points = next(t for t in charts[metric.id] if t.get("name") == "Values")
        assert np.isnan(_values(points["y"])[entry.hidden]).all()
    pdf_text = " ".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(paths[".pdf"]))
    mortality = next(e for e in stocktake.entries if e.result.metric.id == "hipfx_mortality_30d")
    if mortality.hidden[mortality.latest_index]:
        assert mortality.shown(mortality.latest_index) == "*"
        assert mortality.format(mortality.result.chart.y[mortality.latest_index]) not in pdf_text


def test_no_hidden_points_are_given_back_by_their_periods_mean(report):
    """An outsider's finding: 36 × the workbook's exact mean, less the points shown, was the hidden
    point (with several hidden, their sum). A period holding hidden points now exports a coarsened
    mean that gives neither."""
    _, stocktake, paths = report
    book = openpyxl.load_workbook(paths[".xlsx"])
    rows = {}
    for r in book["Series"].iter_rows(min_row=2, values_only=True):
        rows.setdefault(r[0], []).append(r)
    checked = 0
    for entry in stocktake.entries:
        chart = entry.result.chart
        for group in np.unique(chart.rebase_group[entry.hidden]):
            mine = chart.rebase_group == group
            if not np.isfinite(chart.y[mine]).all():
                continue
            exported = [r for r, m in zip(rows[entry.result.metric.id], mine, strict=True) if m]
            shown = sum(r[4] for r in exported if r[4] != "*")
            assert (
                abs(len(exported) * chart.mean[mine][0] - shown - chart.y[entry.hidden & mine].sum()) < 1e-6
            )
            recovered = len(exported) * exported[0][7] - shown
            assert abs(recovered - chart.y[entry.hidden & mine].sum()) > 0.5, (entry.result.metric.id, group)
            checked += 1
    assert checked, "the demo holds periods with hidden points"


def test_a_sentence_quotes_the_mean_and_limits_as_exported_beside_hidden_points(report):
    """The words said "a mean of 83.0%" beside a column of 84: 34 × 83.0 less the points shown gave the
    hidden point back. A sentence now quotes what the workbook exports."""
    from stocktake.metrics.suppression import coarse_limits

    _, stocktake, _ = report
    checked = 0
    for entry in stocktake.entries:
        chart = entry.result.chart
        latest = chart.rebase_group == chart.latest.rebase_group
        said = re.search(r"around a mean of ([^ ]+?)\.(?:\s|$)", entry.sentence)
        if not (entry.hidden & latest).any() or said is None:
            continue
        mean, _, _ = coarse_limits(chart, entry.hidden)
        assert said[1] == entry.format.statistic(mean[entry.latest_index]), (
            entry.result.metric.id,
            entry.sentence,
        )
        checked += 1
    assert checked, "the demo quotes a mean beside hidden points"


def test_the_workbooks_limits_are_those_drawn_and_said(report):
    """A percentage's lower limit was -3 in the workbook beside "0.0% to 18.0%" in its sentence."""
    _, stocktake, paths = report
    book = openpyxl.load_workbook(paths[".xlsx"])
    units = {e.result.metric.id: e.result.metric.unit for e in stocktake.entries}
    for row in book["Series"].iter_rows(min_row=2, values_only=True):
        if units[row[0]] == "%" and row[8] is not None:
            assert row[8] >= 0 and row[9] <= 100, row


def _values(encoded) -> np.ndarray:
    """Plotly writes numeric arrays either as lists or as base64 typed arrays."""
    if isinstance(encoded, dict):
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"])
    return np.array([np.nan if v is None else v for v in encoded], dtype=float)


def test_changes_rebase_and_mark_the_charts(report):
    _, stocktake, _ = report
    vfc = next(e for e in stocktake.entries if e.result.metric.id == "vfc_discharged_at_virtual_review")
    assert [s.start for s in vfc.result.chart.segments] == [0, 15]  # from July 2023
    assert all(("2024-01-01", "New lead") in marks for marks in stocktake.annotations.values())


def test_midway_target_and_trajectory_from_the_file(report):
    _, stocktake, _ = report
    los = next(e for e in stocktake.entries if e.result.metric.id == "los_elective_hip_knee")
    baseline = los.result.chart.y[:12].mean()
    assert los.result.chart.target == pytest.approx(baseline + 0.5 * (1.0 - baseline))
    assert "midway" in los.target_basis
    assert np.isnan(los.result.chart.trajectory[0]) and los.result.chart.trajectory[-1] == pytest.approx(2.3)


def test_period_choice_ends_the_report_there(report):
    request, _, _ = report
    earlier = stock_take(ReportRequest(request.warehouse, request.out, period="2024-06"))
    assert max(e.result.x.max() for e in earlier.entries).strftime("%Y-%m") <= "2024-06"
    assert earlier.period_label.endswith("June 2024")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "changes.csv",
            "metric_id,date,label,rebase\nwards,2024-01-01,x,no\n",
            "row 2, column metric_id: 'wards'",
        ),
        (
            "changes.csv",
            "metric_id,date,label,rebase\n*,soon,x,no\n",
            "row 2, column date: 'soon' is not a date",
        ),
        ("targets.yaml", "targets:\n  los_elective_hip_knee: {fraction: 0.5}\n", "give either value"),
        (
            "targets.yaml",
            "targets:\n  hipfx_length_of_stay:\n    baseline: {start: 2025-01-01, end: 2024-03-01}\n"
            "    benchmark: {value: 10, source: x}\n",
            "targets.hipfx_length_of_stay.baseline: no values between 2025-01-01 and 2024-03-01",
        ),
        (  # an outside check: the demo's hip fracture stay, 18.0 days, had been given 19.7 towards 21.4
            "targets.yaml",
            "targets:\n  hipfx_length_of_stay:\n    baseline: {start: 2022-04-01, end: 2023-03-01}\n"
            "    benchmark: {value: 21.4, source: national mean, year: 2019}\n",
            "targets.hipfx_length_of_stay: the baseline's mean from 2022-04-01 to 2023-03-01 (18) is already "
            "at or better than the benchmark, national mean (2019) (21.4): a target between them would ask "
            "the service to get worse",
        ),
        (  # an outside check: "The target (-5.0%) … will be met every month", and "The target (inf%)"
            "targets.yaml",
            "targets:\n  hipfx_surgery_36h: {value: -5, source: local}\n",
            "targets.hipfx_surgery_36h.value: -5% is not a percentage (0 to 100)",
        ),
        (
            "targets.yaml",
            "targets:\n  hipfx_surgery_36h: {value: .inf}\n",
            "targets.hipfx_surgery_36h.value: inf is not",
        ),
        (
            "targets.yaml",
            "targets:\n  los_elective_hip: {value: -2}\n",
            "los_elective_hip.value: -2 days is below 0",
        ),
        (
            "targets.yaml",
            "targets:\n  hipfx_length_of_stay: {value: .nan}\n",
            "hipfx_length_of_stay.value: nan is not",
        ),
    ],
)
def test_bad_inputs_are_explained(report, tmp_path, name, text, message):
    request, _, _ = report
    path = tmp_path / name
    path.write_text(text)
    kind = {"annotations": path} if name.endswith(".csv") else {"targets": path}
    with pytest.raises(ReportInputError, match=re.escape(message)):
        stock_take(ReportRequest(request.warehouse, request.out, **kind))


def test_workbook_numbers_are_formatted_as_each_measure_shows_them(report):
    _, stocktake, paths = report
    book = openpyxl.load_workbook(paths[".xlsx"])
    summary, series = book["Summary"], book["Series"]
    rows = {row[1].value: row for row in summary.iter_rows(min_row=5) if row[1].value}
    coarse = 0
    for entry in stocktake.entries:
        metric = entry.result.metric
        mean = rows[metric.title][5]
        # beside hidden months the mean is rounded to a step, and shown to it (an outside check: 8 as
        # "8.0%" read as exact)
        decimals = (
            coarse_places(mean.value, metric.decimals)
            if entry.hidden.any() and isinstance(mean.value, int | float)
            else metric.decimals
        )
        coarse += decimals < metric.decimals
        digits = "0" + ("." + "0" * decimals if decimals else "")
        expected = f'{digits}"%"' if metric.unit == "%" else digits
        assert mean.number_format == expected, metric.id
    assert coarse, "the demo rounds a mean beside hidden months to a whole step"
    counts = [r[5] for r in series.iter_rows(min_row=2) if isinstance(r[5].value, float)]
    assert counts and {c.number_format for c in counts} <= {"#,##0", "#,##0.0"}


def test_no_pdf_text_runs_off_the_page(report):
    """Every character of every page (the wide "Every measure" table included) inside the page."""
    _, _, paths = report
    pdf = pypdfium2.PdfDocument(paths[".pdf"])
    for number, page in enumerate(pdf, start=1):
        width = page.get_width()
        text = page.get_textpage()
        rights = [text.get_charbox(i)[2] for i in range(text.count_chars())]
        assert max(rights, default=0) <= width - 10, (
            f"page {number}: text at {max(rights):.0f} of {width:.0f}"
        )


def test_the_demo_report_compares_sites_and_lists_procurement(report):
    """The demo's own report has both board sections; its sites all pay one list price per item
    (``demo/generate.py``), so no item shows a saving."""
    request, _, _ = report
    page = (request.warehouse.parent / "reports" / "stocktake.html").read_text()
    peers = page.split('<h2 id="peers-title">Compared with peers</h2>')[1].split("</section>")[0]
    assert "Sites outside the 99.8% limits" in peers or "No site is outside" in peers
    procurement = page.split('<h2 id="procurement-title">Procurement opportunities</h2>')[1].split(
        "</section>"
    )[0]
    # an outside check read "none" as no savings, beside spend £64,356 above benchmark prices: the
    # section says it compares the sites with one another, and what it cannot find
    assert "Largest savings by item: none; every site pays no more than the target" in procurement
    assert "a price too high at every site alike is not found here" in procurement
    assert "the sites compared with one another, not with prices paid elsewhere" in procurement
    assert "In all: £0.00 on 0 item(s) and sites" in procurement


def test_how_to_read_this_says_two_in_three_as_the_engine_reads_it(report):
    """An outside check applied the page's two-out-of-three rule to a point beside one beyond the limit
    and found it common cause on the chart: NHSRplotthedots 0.2.2 does not count points beyond."""
    from stocktake.spc.rules import DEFAULT_PROFILE, PROFILES
    from stocktake.spc.xmr import xmr

    chart = xmr([10, 12] * 8 + [10, 25, 16.5, 11])  # mean 11.9, upper limit 18.7, two-thirds 16.5
    assert chart.outside_limits[17] and chart.close_to_limits[18] and not chart.outside_limits[18]
    assert chart.point_type[18] == "common_cause"  # two of three beyond two-thirds, one of them beyond
    assert not PROFILES[DEFAULT_PROFILE].two_in_three_counts_outside
    _, _, paths = report
    text = " ".join(paths[".html"].read_text().split())
    assert "two out of three beyond two-thirds of the way to a limit but within it" in text


def test_outcomes_ending_earlier_are_said_with_their_follow_up(report):
    """An outside recheck: 30-day mortality ended in February and return home in November beside every
    other measure's March, and the board report never said why (ADR 74)."""
    _, stocktake, paths = report
    ends = {e.result.metric.id: e.result.x[-1] for e in stocktake.entries}
    assert ends["hipfx_mortality_30d"] < ends["hipfx_surgery_36h"]
    note = stocktake.follow_up_note
    assert note.startswith("These outcomes end earlier than most measures")
    assert "Hip fracture 30-day mortality (crude) (30 days; to February 2025)" in note
    assert "(120 days; to November 2024)" in note
    assert note in html.unescape(" ".join(paths[".html"].read_text().split()))
    rows = [r for r in openpyxl.load_workbook(paths[".xlsx"])["Summary"].iter_rows(values_only=True)]
    assert ("Ending earlier:", note) in [r[:2] for r in rows]
    # each measure's own months beside it: procurement ends a month early too (a recheck)
    months = next(r[1] for r in rows if r[0] == "Months:")
    assert months.startswith("Each measure to its latest complete month: most to March 2025;")
    assert "Procurement to February 2025" in months


def test_a_slides_words_give_a_rounded_mean_and_limits_to_their_step(report):
    """An outside check: "Latest mean 8.0%, process limits 0.0% to 18.0%" beside the report's "8%"."""
    from stocktake.report.charts import entry_chart
    from stocktake.report.slides import describe

    _, stocktake, _ = report
    checked = 0
    for entry in stocktake.entries:
        series = entry_chart(entry)
        if not entry.hidden.any() or not len(series.mean) or np.isnan(series.mean[-1]):
            continue
        said = describe(series, "the period", "the source", int(entry.hidden.sum()))
        mean = re.search(r"Latest mean ([^,]+),", said)[1]
        assert mean == entry.format.statistic(series.mean[-1]), (entry.result.metric.id, said)
        checked += mean.endswith(".0%") is False
    assert checked
