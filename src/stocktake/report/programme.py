"""`stocktake programme evaluate`: read the surveys, evaluate, and write the results for analysts.

The tables (one row a domain; one row an item's level) are written as CSV, as one workbook, and as
an HTML page with a diverging stacked bar per domain. Small numbers are suppressed as in every
other export (ADR 9, ADR 23): a count of 1–7 people is "*", and so is every statistic computed
from 1–7 people. Everything is built in memory first and each file is written to a temporary file
and renamed, so bad input writes nothing and a failure leaves no half-written file.
"""

from __future__ import annotations

import html
import io
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from stocktake.files.programme import ProgrammeFileError, read_cohort, read_domains, read_scales, read_survey
from stocktake.metrics.suppression import MASK, hidden_points
from stocktake.programmes import Evaluation, ItemSummary, evaluate
from stocktake.programmes.disclosure import RULE as DISCLOSURE_RULE
from stocktake.programmes.disclosure import coarse_result, domain_means_hidden, item_disclosure
from stocktake.programmes.evaluation import floored_p
from stocktake.programmes.paired import (
    APPROX_CONVENTION,
    CAUTION_BELOW,
    DZ_CONVENTION,
    EXACT_CONVENTION,
    GZ_CONVENTION,
    HOLM_CONVENTION,
    MIN_PAIRED,
    T_CONVENTION,
)
from stocktake.report.charts import PLOTLY_CONFIG
from stocktake.spreadsheets import csv_ready, keep_text

#: What the second survey is: after the programme (learning, L2) or a follow-up (behaviour, L3).
EVALUATION_LEVELS = ("learning", "behaviour")
FILES = ("domains.csv", "items.csv", "likert.csv", "evaluation.xlsx", "evaluation.html")
SUPPRESSION_NOTE = (
    "counts of 1-7 people answering at a level, and statistics from 1-7 people's answers, are shown "
    "as * (ADR 9, ADR 23); how many responded to each survey (counts and rates) is always shown, and "
    "how many answered an item or domain unless, with every level of an item hidden, it would settle "
    "them (ADR 43); " + DISCLOSURE_RULE
)
#: Diverging bars: levels below the middle to the left, above it to the right, the middle split.
BAR_COLOURS = ("#8a1538", "#d5281b", "#f0b8a8", "#d8dde0", "#a4c8e8", "#41b6e6", "#005eb8")


@dataclass(frozen=True)
class EvaluateRequest:
    before: Path
    after: Path
    id_column: str
    scale: Path
    domains: Path
    out: Path
    cohort: Path | None = None
    unknown_as_missing: bool = False
    suppress: bool = True
    before_label: str = "before"
    after_label: str = "after"
    #: "learning" (pre/post: reaction items read from the after survey) or "behaviour" (a follow-up,
    #: which need not carry the reaction items: they are left out, as the web does).
    level: str = "learning"


@dataclass(frozen=True)
class EvaluateResult:
    evaluation: Evaluation
    notes: tuple[str, ...]
    written: tuple[Path, ...]


def evaluate_files(request: EvaluateRequest) -> EvaluateResult:
    """Read and check every input, evaluate, render every output, then (only then) write them."""
    _check_out(request)
    scales = read_scales(request.scale)
    domains = read_domains(request.domains, scales)
    cohort = read_cohort(request.cohort, request.id_column) if request.cohort else None
    paired = tuple(d for d in domains if d.level != "reaction")  # the before survey need not ask L1
    if request.level not in EVALUATION_LEVELS:
        raise ProgrammeFileError(f"--level {request.level}: one of {', '.join(EVALUATION_LEVELS)}")
    if request.level != "learning":
        domains = paired  # a follow-up (L3) is not asked the reaction (L1) items
    read = [
        _read_survey(request, path, label, asked, cohort, reaction=asked is not paired)
        for path, label, asked in (
            (request.before, request.before_label, paired),
            (request.after, request.after_label, domains),
        )
    ]
    evaluation = evaluate(read[0].survey, read[1].survey, domains, cohort)
    notes = tuple(f"{Path(r.path).name}: {note}" for r in read for note in r.notes)
    notes += skipped_reaction_notes(request)
    outputs = render(evaluation, notes, suppress=request.suppress)
    return EvaluateResult(evaluation, notes, write_outputs(outputs, request.out))


def skipped_reaction_notes(request: EvaluateRequest) -> tuple[str, ...]:
    """A follow-up (``--level behaviour``) is not asked the reaction (L1) items: each reaction domain
    DOMAINS.yaml declares is named as left out, so nobody looks for it in the files."""
    if request.level == "learning":
        return ()
    domains = read_domains(request.domains, read_scales(request.scale))
    return tuple(
        f"{Path(request.domains).name}: reaction domain {d.name!r} not evaluated: a follow-up "
        "(--level behaviour) is not asked reaction (L1) items; evaluate the after survey at --level "
        "learning for them"
        for d in domains
        if d.level == "reaction"
    )


def _read_survey(request: EvaluateRequest, path, label, asked, cohort, reaction: bool):
    """One survey; a reaction item missing from the after survey says how to read it as a follow-up."""
    try:
        return read_survey(
            path,
            label,
            request.id_column,
            asked,
            cohort=cohort,
            cohort_file=request.cohort,
            unknown_as_missing=request.unknown_as_missing,
        )
    except ProgrammeFileError as error:
        names = [f"domain {d.name!r}" for d in asked if d.level == "reaction"]
        if reaction and any(name in str(error) for name in names):
            raise ProgrammeFileError(
                f"{error} (a reaction item; if this survey is a follow-up, give --level behaviour, which "
                "does not read reaction items)"
            ) from None
        raise


def _check_out(request: EvaluateRequest) -> None:
    out = Path(request.out)
    if out.exists() and not out.is_dir():
        raise ProgrammeFileError(f"--out {out}: is a file; give a folder for the results")
    inputs = {Path(p).resolve() for p in (request.before, request.after, request.scale, request.domains)}
    clashes = [name for name in FILES if (out / name).resolve() in inputs]
    if clashes:
        raise ProgrammeFileError(f"--out {out}: writing {clashes[0]} would overwrite an input")


# --- tables ---------------------------------------------------------------------------------------------


#: Means, the mean difference and its CI to 2 decimals in every suppressed export: enough for a board,
#: and less to difference between two evaluations sharing a survey (ADR 43's addendum).
MEAN_PLACES = 2


def _round(value, places: int = 4):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, places)


#: A p-value this small is written as text: below it a float says nothing more (and 0 would be false).
P_TEXT_BELOW = 1e-300


def p_value(value):
    """A p-value to six significant figures, never 0: rounding to decimals made 3e-8 read as 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return f"< {P_TEXT_BELOW:g}" if value < P_TEXT_BELOW else float(f"{value:.6g}")


def domains_table(evaluation: Evaluation, suppress: bool = True) -> pd.DataFrame:
    """One row a domain: its level, response, pairs, unpaired counts, the tests (raw and
    Holm-adjusted p), the conventions and any caution. A counts-only domain has no means. Suppressed,
    means are to ``MEAN_PLACES`` decimals; unsuppressed (the programme team's own work), to 4."""
    places = MEAN_PLACES if suppress else 4
    rows = []
    for result in evaluation.domains:
        c = result.comparison
        t, w, e = c.t_test, c.signed_rank, c.effect
        coarse = _coarse(result, evaluation.after)
        rows.append(
            {
                "domain": result.domain,
                "kirkpatrick_level": result.level,
                "scale": result.scale,
                "items": "; ".join(result.items),
                "cohort": result.before.cohort,
                f"responded_{evaluation.before}": result.before.responded,
                f"response_rate_{evaluation.before}": _round(result.before.rate),
                f"responded_{evaluation.after}": result.after.responded,
                f"response_rate_{evaluation.after}": _round(result.after.rate),
                # Who answered this domain (a score), not the survey: a domain asked of a few (an
                # optional module's) is answered by them, however many returned the survey.
                f"answered_{evaluation.before}": result.before.scored,
                f"answered_{evaluation.after}": result.after.scored,
                "paired": result.paired,
                f"{evaluation.before}_only": result.before_only,
                f"{evaluation.after}_only": result.after_only,
                f"mean_{evaluation.before}_paired": _round(result.mean_before, places),
                f"mean_{evaluation.after}_paired": _round(result.mean_after, places),
                f"mean_{evaluation.before}_only": _round(result.mean_before_only, places),
                f"mean_{evaluation.after}_only": _round(result.mean_after_only, places),
                "mean_difference": _round(t.mean_difference, places) if t else None,
                "ci95_low": _round(t.ci95_low, places) if t else None,
                "ci95_high": _round(t.ci95_high, places) if t else None,
                "direction": coarse.direction if coarse else None,
                "t": _round(t.t) if t else None,
                "df": t.df if t else None,
                "p_t": p_value(t.p) if t else None,
                "p_t_holm": p_value(result.p_t_holm),
                "wilcoxon_v": w.v if w else None,
                "wilcoxon_nonzero": w.n_nonzero if w else None,
                "wilcoxon_zeros": w.zeros if w else None,
                "p_wilcoxon": p_value(w.p) if w else None,
                "p_wilcoxon_holm": p_value(result.p_wilcoxon_holm),
                "wilcoxon_method": w.method if w else None,
                "d_z": _round(e.d_z) if e else None,
                "g_z": _round(e.g_z) if e else None,
                "effect_size": coarse.effect if coarse else None,
                "result": _result_text(result),
            }
        )
    if any(r.before.withdrawn or r.after.withdrawn for r in evaluation.domains):
        # Responded and withdrawn since (the web's evaluations): their answers are left out, and the
        # board says so beside the responses (ADR 43's addendum).
        for row, result in zip(rows, evaluation.domains, strict=True):
            row[f"withdrawn_{evaluation.before}"] = result.before.withdrawn
            row[f"withdrawn_{evaluation.after}"] = result.after.withdrawn
    if not rows:  # reaction domains only: nothing compared before and after
        return pd.DataFrame(columns=["domain", "kirkpatrick_level", "result", "suppressed"])
    table = pd.DataFrame(rows).astype({c: "Int64" for c in ("df", "wilcoxon_nonzero", "wilcoxon_zeros")})
    return _suppressed_domains(table, evaluation) if suppress else table.assign(suppressed=False)


def _coarse(result, after: str):
    """The domain's coarse result (``disclosure.coarse_result``), or None when it was not tested."""
    c = result.comparison
    if c.counts_only or (c.t_test is None and c.signed_rank is None and c.effect is None):
        return None
    difference = result.mean_after - result.mean_before
    if difference != difference:
        return None
    return coarse_result(
        difference,
        c.t_test.p if c.t_test else None,
        result.p_t_holm,
        floored_p(c.signed_rank) if c.signed_rank else None,  # never below what the exact test could give
        result.p_wilcoxon_holm,
        c.effect.d_z if c.effect else None,
        after,
        result.paired,
    )


def _result_text(result) -> str:
    notes = list(result.comparison.notes)
    if result.tested and all(note.startswith("caution") for note in notes):
        notes.insert(0, "tested")
    return "; ".join(notes)


def small_pairs_note(paired: int) -> str:
    """Why a tested domain's statistics are * in an export: its actual count and the rule."""
    return (
        f"{paired} paired responses: tested (a test needs {MIN_PAIRED} or more), but statistics from "
        "1-7 people's answers are shown as * in exports (ADR 9, ADR 23)"
    )


def _statistic_hidden(people) -> np.ndarray:
    """The stock-take's rule for a simple statistic: hidden when 1-7 people are behind it."""
    people = np.asarray(people, float)
    return hidden_points(np.full(people.shape, np.nan), people, False)


def _suppressed_domains(table: pd.DataFrame, evaluation: Evaluation) -> pd.DataFrame:
    """Every statistic of people's answers computed from 1-7 people as "*" (the means of the unpaired
    by their own counts, every paired statistic by the pairs). Response counts, rates and the pairs
    count are how many staff answered, like attendance (ADR 31): shown, but for the counts that would
    settle an item's hidden cells (a one-item domain's means, an item whose every level is hidden:
    ADR 43)."""
    b, a = evaluation.before, evaluation.after
    by_domain: dict[str, list[ItemSummary]] = {}
    for s in evaluation.items:
        by_domain.setdefault(s.domain, []).append(s)
    behind = {f"mean_{b}_only": f"{b}_only", f"mean_{a}_only": f"{a}_only"}
    participation = {"cohort", "paired", f"{b}_only", f"{a}_only"}
    participation |= {
        f"{kind}_{label}"
        for kind in ("responded", "response_rate", "answered", "withdrawn")
        for label in (b, a)
    }
    described = {"domain", "kirkpatrick_level", "scale", "items", "result"}
    behind |= {c: "paired" for c in table.columns if c not in {*behind, *participation, *described}}
    shown = table.astype(object)
    hidden_any = np.zeros(len(table), bool)
    for column, count in behind.items():
        hidden = _statistic_hidden(table[count]) & table[column].notna().to_numpy()
        shown[column] = shown[column].where(~hidden, MASK)
        hidden_any |= hidden
    # Every domain with 1-7 pairs that is not counts only: its result text would quote what they
    # answered ("every one of the 6 differences is 0", a caution's zero and tie counts).
    tested_small = _statistic_hidden(table["paired"]) & ~np.array([r.counts_only for r in evaluation.domains])
    # All of them, even one not computed (no t with no spread, no signed rank with every difference 0):
    # a blank beside the *s would say which (every pair the same, which with the pairs pins the cells).
    paired_columns = [c for c, count in behind.items() if count == "paired"]
    shown["result"] = [
        small_pairs_note(n) if small else text
        for n, small, text in zip(table["paired"], tested_small, shown["result"], strict=True)
    ]
    # cell by cell from here, in an array: a frame's ``.loc`` per cell took 27 s over 3,000 domains
    cells, at = shown.to_numpy(dtype=object, copy=True), {c: j for j, c in enumerate(shown.columns)}
    known = table.notna().to_numpy()

    def put(i: int, columns, value) -> None:
        cells[i, [at[c] for c in columns]] = value

    for i in np.flatnonzero(tested_small):
        put(i, paired_columns, MASK)
        hidden_any[i] = True
    # A domain with a hidden level in any item, in either survey: its means are its items' cells weighted
    # by level, a second equation beside the answered counts, so they (and the difference and its CI)
    # are hidden too (``programmes.disclosure.domain_means_hidden``).
    means = [c for c in table.columns if c.startswith("mean_") or c in ("ci95_low", "ci95_high")]
    for i, result in enumerate(evaluation.domains):
        if not means_hidden(result, by_domain.get(result.domain, [])):
            continue
        tested = not result.comparison.counts_only  # its CI blank would say "no spread": hidden too
        masked = [
            c
            for c in means
            if (known[i, at[c]] or (tested and not c.endswith("_only"))) and cells[i, at[c]] != MASK
        ]
        if masked:
            put(i, masked, MASK)
            put(i, ["result"], "; ".join(t for t in (cells[i, at["result"]], MEANS_NOTE) if t))
            hidden_any[i] = True
        # Its tests coarse (ADR 43, last addendum): t, d_z, g_z, V and the zero counts are functions
        # of the paired differences, which here are the hidden cells; each p is shown as its band.
        coarse = _coarse(result, a)
        if coarse is None or cells[i, at["paired"]] == MASK or _statistic_hidden([result.paired])[0]:
            continue
        put(i, [c for c in COARSE_HIDDEN if c in at], MASK)  # computed or not: a blank says why
        for column in ("p_t", "p_t_holm", "p_wilcoxon", "p_wilcoxon_holm"):
            put(i, [column], getattr(coarse, column))
        put(i, ["result"], coarse_note(result.paired))
        hidden_any[i] = True
    # An item whose answered count would settle its hidden cells (``answered_hidden``): the domain's
    # counts that bound it from below as far as that count go too.
    for i, result in enumerate(evaluation.domains):
        for label, other in ((b, a), (a, b)):
            scored = result.before.scored if label == b else result.after.scored
            by_scored, by_pairs = settled_by(result, by_domain.get(result.domain, []), label, scored)
            if by_scored:
                put(i, [f"answered_{label}", f"{label}_only"], MASK)
                hidden_any[i] = True
            if by_pairs:
                # The pairs too, and everything giving them (df, the signed-rank counts, t over d_z).
                masked = ["paired", f"answered_{other}", f"{other}_only", *behind]
                put(i, masked, MASK)
                put(i, ["result"], SETTLED_NOTE)
    shown = pd.DataFrame(cells, index=shown.index, columns=shown.columns, dtype=object)
    shown["suppressed"] = hidden_any
    return shown


#: Why a domain's pair count is "*" (ADR 0043).
SETTLED_NOTE = (
    "counts and statistics not shown: an item's every level is shown as *, and its answered count, which "
    "the pairs bound from below, would settle them (ADR 43)"
)


def settled_by(result, items, label: str, scored: int) -> tuple[bool, bool]:
    """Whether the domain's scored count, and whether its pair count, would give away the answered count
    of an item of it hidden with ``answered_hidden`` in survey ``label``: everyone scored answered at
    least ``min_answered`` of the domain's items, so an item was answered by at least that many times
    the people scored less the other items' answers; at the hidden count that bound settles it."""
    mine = [s for s in items if s.survey == label and s.domain == result.domain]
    need = math.ceil(len(result.items) / 2)
    found = [False, False]
    for s in mine:
        if not answered_hidden(s):
            continue
        others = sum(o.answered for o in mine if o.item != s.item)
        found[0] |= need * scored - others >= s.answered
        found[1] |= need * result.paired - others >= s.answered
    return found[0], found[1]


#: A coarse domain's figures shown as "*": every exact statistic of the paired differences.
COARSE_HIDDEN = (
    "t",
    "df",
    "wilcoxon_v",
    "wilcoxon_nonzero",
    "wilcoxon_zeros",
    "wilcoxon_method",
    "d_z",
    "g_z",
)

#: Why a domain's tests are coarse (ADR 43, last addendum).
COARSE_NOTE = (
    "coarse result: an item of the domain has a level shown as *, so only the direction, each p as a "
    "band and the effect size in words (Cohen: |d_z| under 0.2 negligible, 0.5 small, 0.8 medium, else "
    "large; below 20 pairs p only as < 0.05 or ≥ 0.05 and no effect size) are shown; means, the "
    "exact statistics and the counts of zero differences could give the "
    "hidden counts away (ADR 43)"
)
COARSE_CAUTION = (
    "caution: few pairs; the t test's normality cannot be checked, read its band beside the Wilcoxon's"
)


def coarse_note(paired: int) -> str:
    """A coarse domain's result: why, and a caution naming no count but the pairs (which are shown)."""
    return COARSE_NOTE + (f"; {COARSE_CAUTION}" if paired < CAUTION_BELOW else "")


#: Why a domain's means are "*" beside a hidden level (ADR 0043).
MEANS_NOTE = (
    "means, mean difference and 95% CI not shown: an item of the domain has a level shown as *, and a "
    "mean times the people behind it is the sum of their levels, which with the answered counts could "
    "give the hidden counts away (ADR 43)"
)


def means_hidden(result, items) -> bool:
    """A domain with a level hidden in any of its items, in either survey (``domain_means_hidden``)."""
    return domain_means_hidden(
        s.counts for s in items if s.domain == result.domain and s.item in result.items
    )


def items_table(evaluation: Evaluation, suppress: bool = True) -> pd.DataFrame:
    """Each item's answered and skipped counts (shown unless they settle its hidden cells), its median
    level and the share at the top two levels (hidden whenever any level is: ``item_disclosure``)."""
    rows = [
        {
            "survey": s.survey,
            "kirkpatrick_level": s.level,
            "domain": s.domain,
            "item": s.item,
            "answered": s.answered,
            "skipped": s.missing,
            "median_level": s.median_level,
            "top_two_share": _round(s.top_two_share),
        }
        for s in evaluation.items
    ]
    table = pd.DataFrame(rows).astype(object)
    if suppress and rows:
        answered = np.array([s.answered for s in evaluation.items], float)
        top_two = np.array([sum(s.counts[-2:]) for s in evaluation.items], float)
        any_hidden = np.array([item_hidden(s).any() for s in evaluation.items])
        # The median and top two are the cells' facts too: hidden with any cell (a median of "Disagree"
        # says where the middle answer is, which can pin a hidden cell beside the answered count).
        hidden = hidden_points(top_two, answered, True) | any_hidden
        table["median_level"] = table["median_level"].where(~hidden, MASK)
        table["top_two_share"] = table["top_two_share"].where(~hidden, MASK)
        settled = np.array([answered_hidden(s) for s in evaluation.items])
        table["answered"] = table["answered"].where(~settled, MASK)
        table["skipped"] = table["skipped"].where(~settled, MASK)  # the survey's responses less it
    return table


def likert_table(evaluation: Evaluation, suppress: bool = True) -> pd.DataFrame:
    """Every item's answers by level (lowest first), as counts and shares of those who answered; a
    cell of 1-7 people (or of an item 1-7 answered) is "*", as the stock-take hides a point."""
    rows = [
        {
            "survey": s.survey,
            "kirkpatrick_level": s.level,
            "domain": s.domain,
            "item": s.item,
            "level": level,
            "score": score,
            "count": count,
            "share": _round(count / s.answered) if s.answered else None,
        }
        for s in evaluation.items
        for score, (level, count) in enumerate(zip(s.levels, s.counts, strict=True), start=1)
    ]
    table = pd.DataFrame(rows).astype(object)
    if suppress and rows:
        hidden = hidden_cells(evaluation.items)
        row_hidden = np.array([item_hidden(s).any() for s in evaluation.items for _ in s.counts], bool)
        table["count"] = table["count"].where(~hidden, MASK)
        table["share"] = table["share"].where(~row_hidden, MASK)
    return table


def item_hidden(summary: ItemSummary) -> np.ndarray:
    """An item's levels to show as "*", by the one rule every programme export follows
    (``programmes.disclosure.item_disclosure``)."""
    return np.array(item_disclosure(summary.counts).hidden, bool)


def answered_hidden(summary: ItemSummary) -> bool:
    """Whether an item's answered count is hidden too (every level hidden, 7 or just under 7 a level:
    ``item_disclosure``). Its skipped count (the survey's responses less it) and the domain's counts
    that would settle it go with it (``settled_by``, ADR 43)."""
    return item_disclosure(summary.counts).answered_hidden


def hidden_cells(items) -> np.ndarray:
    """For each item and level in order (as ``likert_table``'s rows), whether its count is hidden."""
    return np.array([hidden for s in items for hidden in item_hidden(s)], bool)


def distribution_table(summaries, suppress: bool = True) -> pd.DataFrame:
    """The Likert distribution a chart draws, as a table (always given, beside or instead of the chart):
    one row an item, one column a level, each cell "count (share)" or "*"."""
    rows = []
    for s in summaries:
        hidden = hidden_cells([s]) if suppress else np.zeros(len(s.counts), bool)
        row = {"Item": s.item, "Survey": s.survey}
        for level, count, masked in zip(s.levels, s.counts, hidden, strict=True):
            # With a level hidden, no shares: the shown counts over those answering are the same facts.
            row[level] = (
                MASK
                if masked
                else f"{count}"
                if hidden.any() or not s.answered
                else f"{count} ({count / s.answered:.0%})"
            )
        settled = suppress and answered_hidden(s)
        row["Answered"], row["Skipped"] = (MASK, MASK) if settled else (s.answered, s.missing)
        rows.append(row)
    return pd.DataFrame(rows)


def conventions_table(evaluation: Evaluation) -> pd.DataFrame:
    """Every convention the numbers follow, by name, so they can be checked against another tool."""
    named = [
        ("paired t", T_CONVENTION),
        ("Wilcoxon signed-rank, exact", EXACT_CONVENTION),
        ("Wilcoxon signed-rank, otherwise", APPROX_CONVENTION),
        ("effect size d_z", DZ_CONVENTION),
        ("effect size g_z", GZ_CONVENTION),
        ("several domains", HOLM_CONVENTION),
        ("small cohorts", f"fewer than {MIN_PAIRED} paired responses: counts only, no means and no test"),
        (
            f"fewer than {CAUTION_BELOW} pairs",
            f"below {CAUTION_BELOW} pairs a test carries a caution: the t test's normality cannot be "
            "checked, and where ties or zeros force the normal approximation the exact test's smallest "
            "possible p is stated",
        ),
        *[("rule", rule) for rule in evaluation.rules],
    ]
    return pd.DataFrame(named, columns=["what", "convention"])


# --- headers and formats for people (CSV keeps the names above, for scripts) -------------------------

HEADERS = {
    "domain": "Domain",
    "kirkpatrick_level": "Kirkpatrick level",
    "scale": "Scale",
    "items": "Items",
    "cohort": "Cohort",
    "paired": "Paired responses",
    "mean_difference": "Mean difference",
    "ci95_low": "95% CI from",
    "ci95_high": "95% CI to",
    "t": "t",
    "df": "df",
    "p_t": "p (paired t)",
    "p_t_holm": "p (paired t), Holm-adjusted",
    "wilcoxon_v": "Wilcoxon V",
    "wilcoxon_nonzero": "Non-zero differences",
    "wilcoxon_zeros": "Zero differences",
    "p_wilcoxon": "p (Wilcoxon)",
    "p_wilcoxon_holm": "p (Wilcoxon), Holm-adjusted",
    "wilcoxon_method": "Wilcoxon method",
    "d_z": "Effect size d_z",
    "g_z": "Effect size g_z",
    "direction": "Direction",
    "effect_size": "Effect size (Cohen's words)",
    "result": "Result",
    "suppressed": "Some figures suppressed",
    "survey": "Survey",
    "item": "Item",
    "answered": "Answered",
    "skipped": "Skipped",
    "median_level": "Median answer",
    "top_two_share": "Top two levels",
    "level": "Answer",
    "score": "Score",
    "count": "People",
    "share": "Share",
    "what": "What",
    "convention": "Convention",
    "note": "Note",
    "evaluation": "Evaluation",
    "evaluation_level": "Evaluation's level",
    "possible": "Possible attendances",
    "sessions_needed": "Sessions needed to complete",
    "kind": "Measure's kind",
    "when": "When it changed",
}
#: Columns holding a share of 1 (0.7): shown as "70%" in HTML and formatted "0%" in workbooks.
PERCENT_HEADERS = {"Top two levels", "Share", "Rate", "Attendance rate"}


def header(column: str) -> str:
    """The column's name for a person: "response_rate_after" → "Response rate, after"."""
    if column in HEADERS:
        return HEADERS[column]
    if " " in column or column != column.lower():
        return column  # already written for people
    for prefix, words in (
        ("responded_", "Responded to the survey, "),
        ("response_rate_", "Response rate, "),
        ("answered_", "Answered the domain, "),
        ("withdrawn_", "Responded and withdrawn since, "),
    ):
        if column.startswith(prefix):
            return words + column[len(prefix) :]
    if column.startswith("mean_") and column.endswith(("_paired", "_only")):
        label, _, kind = column[len("mean_") :].rpartition("_")
        return f"Mean {label}, {'paired' if kind == 'paired' else f'{label} only'}"
    if column.endswith("_only"):
        return f"{column[: -len('_only')].capitalize()} only"
    return column.replace("_", " ").capitalize()


def is_percent(name: str) -> bool:
    return name in PERCENT_HEADERS or name.startswith("Response rate")


def for_people(table: pd.DataFrame) -> pd.DataFrame:
    """The table with people's headers (HTML, PDF and workbooks)."""
    return table.rename(columns={c: header(str(c)) for c in table.columns})


# --- rendering and writing ------------------------------------------------------------------------------


def render(evaluation: Evaluation, notes: tuple[str, ...] = (), suppress: bool = True) -> dict[str, bytes]:
    """Every output file's bytes, by name."""
    tables = {
        "Domains": domains_table(evaluation, suppress),
        "Items": items_table(evaluation, suppress),
        "Likert": likert_table(evaluation, suppress),
        "Conventions": conventions_table(evaluation),
        "Notes": pd.DataFrame(
            {"note": [*notes, SUPPRESSION_NOTE if suppress else "not suppressed (--no-suppress)"]}
        ),
    }
    return {
        "domains.csv": _csv(tables["Domains"]),
        "items.csv": _csv(tables["Items"]),
        "likert.csv": _csv(tables["Likert"]),
        "evaluation.xlsx": _workbook(tables),
        "evaluation.html": _html(evaluation, tables, suppress).encode("utf-8"),
    }


def _csv(table: pd.DataFrame) -> bytes:
    return csv_ready(table).to_csv(index=False).encode("utf-8")


def _workbook(tables: dict[str, pd.DataFrame]) -> bytes:
    """Every table a sheet, with people's headers; shares kept as numbers, formatted as percentages
    (as ``report.xlsx`` formats a measure's values), so a board member reads 70% and Excel sums 0.7."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, table in tables.items():
        sheet = workbook.create_sheet(name)
        table = for_people(table)
        sheet.append([str(c) for c in table.columns])
        for record in table.itertuples(index=False):
            sheet.append([_cell(v) for v in record])
        for position, column in enumerate(table.columns, start=1):
            widest = max([len(str(column))] + [len(str(v)) for v in table[column]])
            sheet.column_dimensions[get_column_letter(position)].width = min(60, max(8, widest + 2))
            if is_percent(str(column)):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                    if isinstance(cell.value, int | float):
                        cell.number_format = "0%"
        sheet.freeze_panes = "A2"
    keep_text(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value):
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_outputs(outputs: dict[str, bytes], out: Path) -> tuple[Path, ...]:
    """Each file written beside its final name and renamed into place."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in outputs.items():
        handle, temporary = tempfile.mkstemp(dir=out, prefix=f".{name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 is for the temporary name only
            os.replace(temporary, out / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(out / name)
    return tuple(written)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# --- the HTML page --------------------------------------------------------------------------------------


def diverging_figure(summaries: list[ItemSummary]) -> go.Figure:
    """A diverging stacked bar per item and survey: the share at each level, the lower levels to the
    left of zero, the upper ones to the right and a middle level split across it."""
    levels = summaries[0].levels
    k = len(levels)
    colours = _colours(k)
    names = [f"{s.item} ({s.survey})" for s in summaries]
    shares = np.array([[c / s.answered * 100 for c in s.counts] for s in summaries])
    half = k // 2
    # Relative bars stack outwards from zero in the order they are added: the middle level first,
    # then each side from the middle out, so the extreme levels sit at the ends.
    middle = [half] if k % 2 else []
    left = [(i, -shares[:, i] / 2) for i in middle] + [(i, -shares[:, i]) for i in range(half - 1, -1, -1)]
    right = [(i, shares[:, i] / 2) for i in middle] + [(i, shares[:, i]) for i in range(k - half, k)]
    figure = go.Figure()
    for position, (index, values) in enumerate(left + right):
        figure.add_bar(
            y=names,
            x=values,
            name=levels[index],
            orientation="h",
            marker_color=colours[index],
            showlegend=not (index in middle and position >= len(left)),
            legendgroup=levels[index],
            legendrank=index + 1,
            customdata=shares[:, index],
            hovertemplate="%{y}<br>" + html.escape(levels[index]) + ": %{customdata:.0f}%<extra></extra>",
        )
    figure.update_layout(
        barmode="relative",
        xaxis={"title": "% of those who answered", "range": [-100, 100], "zeroline": True},
        yaxis={"autorange": "reversed"},
        height=120 + 40 * len(summaries),
        margin={"l": 20, "r": 20, "t": 30, "b": 40},
        legend={"orientation": "h", "traceorder": "normal"},
    )
    return figure


def _colours(k: int) -> list[str]:
    """Reds below the middle, blues above, grey in the middle (colour-blind safe, NHS palette)."""
    below = list(BAR_COLOURS[:3])[-(k // 2) :] if k // 2 else []
    above = list(BAR_COLOURS[4:])[: k // 2]
    middle = [BAR_COLOURS[3]] if k % 2 else []
    return (below + middle + above) if k <= 7 else [BAR_COLOURS[3]] * k


def answers_html(summaries, suppress: bool = True, static: bool = False) -> str:
    """Items' answers by level: always as a table; as diverging bars too for the items with no level
    answered by 1-7 people (a bar of the rest would misstate the shares). ``static``: plain HTML bars,
    for the PDF (WeasyPrint runs no script)."""
    summaries = [s for s in summaries if s.answered]
    if not summaries:
        return "<p>No answers.</p>"
    drawn = [s for s in summaries if not (suppress and hidden_cells([s]).any())]
    hidden = [s.item for s in summaries if s not in drawn]
    if not drawn:
        chart = ""
    elif static:
        chart = static_bars(drawn)
    else:
        figure = diverging_figure(drawn)
        chart = figure.to_html(full_html=False, include_plotlyjs=False, config=PLOTLY_CONFIG)
    note = (
        f"<p>Not drawn as a chart ({html.escape(', '.join(dict.fromkeys(hidden)))}): levels with fewer "
        "than 8 people, zeros included, are shown as * in the table.</p>"
        if hidden
        else ""
    )
    return f"{chart}{note}{_html_table(distribution_table(summaries, suppress))}"


def static_bars(summaries) -> str:
    """The diverging bars' shares as plain HTML (for the PDF: WeasyPrint runs no script)."""
    rows = []
    for s in summaries:
        colours = _colours(len(s.levels))
        parts = "".join(
            f"<span style='display:inline-block;height:1em;width:{count / s.answered * 60:.2f}%;"
            f"background:{colours[i]}' title='{html.escape(level)}'></span>"
            for i, (level, count) in enumerate(zip(s.levels, s.counts, strict=True))
        )
        rows.append(f"<div><small>{html.escape(s.item)} ({html.escape(s.survey)})</small><br>{parts}</div>")
    colours = _colours(len(summaries[0].levels))
    legend = " ".join(
        f"<span style='color:{colours[i]}'>■</span> {html.escape(level)}"
        for i, level in enumerate(summaries[0].levels)
    )
    return f"<p><small>{legend}</small></p>{''.join(rows)}"


def _html(evaluation: Evaluation, tables: dict[str, pd.DataFrame], suppress: bool = True) -> str:
    from plotly.offline import get_plotlyjs

    sections = []
    for domain in dict.fromkeys(s.domain for s in evaluation.items):
        summaries = [s for s in evaluation.items if s.domain == domain]
        sections.append(
            f"<section><h3>{html.escape(domain)} ({html.escape(summaries[0].level)})</h3>"
            f"{answers_html(summaries, suppress)}</section>"
        )
    domain_rows = tables["Domains"]
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Programme evaluation</title>"
        f"<script>{get_plotlyjs()}</script>"
        "<style>body{font-family:Arial,sans-serif;margin:2em;max-width:75em}"
        "table{border-collapse:collapse;font-size:0.85em}td,th{border:1px solid #d8dde0;padding:4px}</style>"
        "</head><body>"
        f"<h1>Programme evaluation: {html.escape(evaluation.before)} and {html.escape(evaluation.after)}</h1>"
        f"<p>{html.escape(evaluation.cohort_source)}.</p>"
        "<h2>Domains</h2>"
        f"{_html_table(domain_rows)}"
        f"<h2>Conventions</h2>{_html_table(tables['Conventions'])}"
        f"<h2>Notes</h2>{_html_table(tables['Notes'])}"
        "<h2>Answers by level</h2>"
        f"{''.join(sections)}</body></html>"
    )


def _html_table(table: pd.DataFrame) -> str:
    """A table with people's headers, shares as percentages."""
    table = for_people(table)
    percent = [is_percent(str(c)) for c in table.columns]
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in table.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(_shown(v, p))}</td>" for v, p in zip(row, percent, strict=True))
        + "</tr>"
        for row in table.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _shown(value, percent: bool) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if percent and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.0%}"
    return str(value)
