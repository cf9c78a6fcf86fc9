"""The weeks-waited projection from a run of RTT returns against simulated lists of whole patients.

Run: .venv/bin/python benchmarks/bench_weeks_from_returns.py [--seeds 20] [--sizes 10 50 500]
[--reneges-times 1.0] [--referrals-times 1.0] (about a minute a seed at 500 referrals a month,
seconds at 10 and 50)

Each list is simulated by day from empty in 2014-12: every month its patients wait the month's days
longer, Poisson referrals arrive on its days, each patient reneges with a rate by months waited
(binomially), and a Poisson number of treatments (89% of referrals on average) is drawn among those
waiting, weighted by months waited. Its months 2022-12 … 2024-11 are written as returns (Dorset
County's real November 2024 return as the template: week bands of Part 2, completions split between
Part 1A and 1B, Part 3 the referrals) and read by `weeks_inputs_from_returns` as `stocktake
waitinglist weeks` reads them; the projection 12 months on, at the average flows, is compared with the
simulated list then. Printed per size: the error of the mean projection against the mean simulated list
(ratio of means), the mean of each list's error and its standard error, with the calibration as it is
and as it was before ADR 69's last addendum (each sparse bin's negative rate floored alone, its positive
rate kept); and the replay's drift (ADR 71) and how often it warned, over the calibration's own months
and over the latest six held out of a calibration (ADR 72). The same simulated returns serve both
calibrations. ``--reneges-times F`` multiplies every renege rate by F from the eighth month before the
last return on (a validation programme, say): the returns' rates change late, and the truth a year on
is the new rates'. ``--referrals-times F`` multiplies the referrals from that month on, treatments
unchanged (ADR 73): printed too, how often a change in the flows was said, and the projection at the
latest six months' flows where it was (the projection as it is where not).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from stocktake.files.rtt import read_rtt_returns, weeks_inputs_from_returns
from stocktake.waitinglist import weeks_waited
from stocktake.waitinglist.weeks_waited import MAX_DAYS, WaitingList, months_waited_of_days, project

TEMPLATE = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "rtt" / "rtt_provider_2024_11_RBD.csv"
)
MONTHS = pd.period_range("2014-12", "2025-11", freq="M")
RETURNED = 24  # months written as returns, ending 12 months before the simulation does
#: Renege rates and treatment weights by months-waited bin (0 … 24).
RENEGE = np.array([0.03] + [0.008] * 11 + [0.012] * 13)
WEIGHT = np.array([1.6, 1.0, 1.0, 1.0] + [0.7] * 8 + [1.3] * 13)
TREATED_SHARE = 0.89


#: The month renege rates change from with ``--reneges-times``: the eighth before the last return.
CHANGED = MONTHS[-12 - 8]


def simulate(
    referrals_a_month: float, seed: int, reneges_times: float = 1.0, referrals_times: float = 1.0
) -> list[tuple[pd.Period, int, np.ndarray, np.ndarray]]:
    """(month, referrals, waiting by day, treated by day) for each of :data:`MONTHS`, renege rates
    ``reneges_times`` and referrals ``referrals_times`` as high from :data:`CHANGED` on."""
    rng = np.random.default_rng(seed)
    waiting = np.zeros(MAX_DAYS + 1, dtype=np.int64)
    out = []
    for month in MONTHS:
        days = month.days_in_month
        aged = np.zeros_like(waiting)
        aged[days:MAX_DAYS] = waiting[: MAX_DAYS - days]
        aged[MAX_DAYS] = waiting[MAX_DAYS - days :].sum()
        referred = int(rng.poisson(referrals_a_month * (referrals_times if month >= CHANGED else 1.0)))
        aged[:days] += rng.multinomial(referred, [1 / days] * days)
        bins = months_waited_of_days(month)
        renege = RENEGE * (reneges_times if month >= CHANGED else 1.0)
        left = aged - rng.binomial(aged, np.minimum(renege[bins], 1.0))
        to_treat = min(int(rng.poisson(referrals_a_month * TREATED_SHARE)), int(left.sum()))
        treated = np.zeros_like(left)
        while to_treat > 0:  # weighted draws without replacement, in chunks of a fiftieth at most
            weights = WEIGHT[bins] * left
            chunk = min(to_treat, max(1, to_treat // 50))
            drawn = np.minimum(rng.multinomial(chunk, weights / weights.sum()), left)
            if drawn.sum() == 0:
                break
            left, treated, to_treat = left - drawn, treated + drawn, to_treat - int(drawn.sum())
        waiting = left
        out.append((month, referred, waiting.copy(), treated))
    return out


def _bands(by_day: np.ndarray) -> np.ndarray:
    return WaitingList(MONTHS[0], by_day.astype(float)).week_bands()


def write_returns(folder: Path, months) -> list[Path]:
    """The months as returns: one T&O line per part, the template's other lines dropped."""
    template = pd.read_csv(TEMPLATE, dtype=str, keep_default_na=False)
    bands = [c for c in template.columns if c.startswith("Gt ")]
    line = template[template["Treatment Function Code"] == "C_110"].drop_duplicates("RTT Part Type")
    line = line.set_index("RTT Part Type")
    paths = []
    for month, referred, waiting, treated in months:
        completed = _bands(treated)
        admitted = np.round(completed * 0.4)
        rows = []
        for part, counts in (
            ("Part_1A", admitted),
            ("Part_1B", completed - admitted),
            ("Part_2", _bands(waiting)),
            ("Part_3", None),
        ):
            row = line.loc[part].copy()
            row["RTT Part Type"], row["Period"] = part, f"RTT-{month.strftime('%B-%Y')}"
            values = [""] * len(bands) if counts is None else [str(int(v)) for v in counts]
            row[bands] = values
            total = referred if counts is None else int(counts.sum())
            row["Total"] = str(total) if part.startswith("Part_1") else ""
            row["Patients with unknown clock start date"] = "0" if part.startswith("Part_1") else ""
            row["Total All"] = str(total)
            rows.append(row)
        paths.append(folder / f"{month}.csv")
        pd.DataFrame(rows).reset_index(drop=True).to_csv(paths[-1], index=False)
    return paths


@contextlib.contextmanager
def each_sparse_bin_floored_alone():
    """`MonthlyBins.calibrate` as it was before ADR 69's last addendum: a negative renege rate kept in a
    bin averaging 30 or more flowing in, floored elsewhere and in the open top bin; positive kept."""

    def before(bins, renege, read):
        inflow = weeks_waited._shift_up(bins.incompletes[:-1]).mean(axis=0)
        inflow[0] = bins.referrals[1:].mean()
        kept = inflow >= weeks_waited.NEGATIVE_RATES_FROM
        kept[-1] = False
        return tuple(map(float, np.where((renege < 0) & ~kept, 0.0, renege)))

    now = weeks_waited._sparse_bins_shared
    weeks_waited._sparse_bins_shared = before
    try:
        yield
    finally:
        weeks_waited._sparse_bins_shared = now


def projected(paths: list[Path]) -> tuple[float, float, bool, float, bool, bool, float]:
    """The list 12 months on as `weeks` projects it, the replay's drift, and whether it warned that the
    model leaves the list's course (in all or over 52 weeks), over its own months and held out; whether
    a change in the flows was said, and the list 12 months on at the latest six months' flows if so."""
    inputs = weeks_inputs_from_returns(read_rtt_returns(paths), "C_110")
    ahead = project(inputs.origin, [inputs.referrals] * 12, [inputs.capacity] * 12, inputs.params)
    total = ahead.steps[-1].waiting_list.total
    if inputs.changes:
        referrals, capacity = inputs.lately
        lately = project(inputs.origin, [referrals] * 12, [capacity] * 12, inputs.params)
    replay, held_out = inputs.replay, inputs.held_out
    return (
        total,
        replay.drift,
        replay.leaves_course or replay.leaves_course_52,
        held_out.drift,
        held_out.leaves_course or held_out.leaves_course_52,
        bool(inputs.changes),
        lately.steps[-1].waiting_list.total if inputs.changes else total,
    )


def _errors(projection: np.ndarray, truth: np.ndarray) -> tuple[str, str]:
    """The ratio of means, and the mean of each list's error with its standard error."""
    errors = projection / truth - 1
    spread = errors.std(ddof=1) / np.sqrt(len(errors)) if len(errors) > 1 else float("nan")
    return f"{projection.mean() / truth.mean() - 1:+.1%}", f"{errors.mean():+.1%} ({spread:.1%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--sizes", type=float, nargs="+", default=[10.0, 50.0, 500.0])
    parser.add_argument("--reneges-times", type=float, default=1.0)
    parser.add_argument("--referrals-times", type=float, default=1.0)
    args = parser.parse_args()
    console = Console(width=180)  # the table whole when written to a file
    first = len(MONTHS) - 12 - RETURNED
    table = Table(
        title=f"The list 12 months on, projected from {RETURNED} simulated returns ({args.seeds} lists)"
        + (f", reneges ×{args.reneges_times:g} from {CHANGED}" if args.reneges_times != 1 else "")
        + (f", referrals ×{args.referrals_times:g} from {CHANGED}" if args.referrals_times != 1 else "")
    )
    for column in (
        "referrals a month",
        "now: ratio of means",
        "now: mean (se)",
        "before: ratio of means",
        "before: mean (se)",
        "replay drift, mean",
        "replay warned",
        "held out drift, mean",
        "held out warned",
        "flows' change said",
        "said at latest flows: mean (se)",
    ):
        table.add_column(column, justify="right")
    for size in args.sizes:
        now, before, truth, drifts, held_out_drifts, warned, held_out_warned = [], [], [], [], [], 0, 0
        at_latest, said = [], 0
        with console.status(f"{size:g} referrals a month"):
            for seed in range(args.seeds):
                months = simulate(size, seed, args.reneges_times, args.referrals_times)
                with tempfile.TemporaryDirectory() as folder:
                    paths = write_returns(Path(folder), months[first : first + RETURNED])
                    total, drift, warns, held_out_drift, held_out_warns, changed, latest = projected(paths)
                    with each_sparse_bin_floored_alone():
                        before.append(projected(paths)[0])
                now.append(total)
                drifts.append(drift)
                warned += warns
                held_out_drifts.append(held_out_drift)
                held_out_warned += held_out_warns
                said += changed
                at_latest.append(latest)
                truth.append(float(months[-1][2].sum()))
        now_, before_, truth_, at_latest_ = map(np.array, (now, before, truth, at_latest))

        table.add_row(
            f"{size:g}",
            *_errors(now_, truth_),
            *_errors(before_, truth_),
            f"{np.mean(drifts):+.1%}",
            f"{warned} of {args.seeds}",
            f"{np.mean(held_out_drifts):+.1%}",
            f"{held_out_warned} of {args.seeds}",
            f"{said} of {args.seeds}",
            _errors(at_latest_, truth_)[1],
        )
    console.print(table)


if __name__ == "__main__":
    main()
