"""A validation sweep in a run of monthly RTT returns: the weeks-waited calibration leaves its month out
(its reneges had been every month's), and says so; a run without one leaves nothing out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from synthetic_histories import T_AND_O, months_of_returns

from stocktake.files.rtt import read_rtt_returns, weeks_inputs_from_returns
from stocktake.waitinglist.weeks_waited import OneOffMonths


def test_a_sweep_in_the_returns_is_left_out_of_the_calibration(tmp_path, monkeypatch):
    """Left out, the swept run's rates are the steady run's with that month left out, exactly (each
    month's weeks fall into months waited by its own calendar, so not the steady run's own); kept in,
    its reneges raise every month's."""
    from stocktake.files import rtt

    (tmp_path / "steady").mkdir(), (tmp_path / "swept").mkdir()
    steady_returns = read_rtt_returns(months_of_returns(tmp_path / "steady", 14))
    swept_returns = read_rtt_returns(months_of_returns(tmp_path / "swept", 14, swept=10))
    assert "left out" not in weeks_inputs_from_returns(steady_returns, T_AND_O).calibration
    swept = weeks_inputs_from_returns(swept_returns, T_AND_O)
    assert (
        "September 2024 left out (a one-off: a validation sweep or a transfer, not a usual month)"
        in swept.calibration
    )
    monkeypatch.setattr(rtt, "_one_off_months", lambda *args: OneOffMonths((pd.Period("2024-09", freq="M"),)))
    steady = weeks_inputs_from_returns(steady_returns, T_AND_O)
    np.testing.assert_allclose(swept.params.renege, steady.params.renege, atol=1e-12)
    np.testing.assert_allclose(swept.params.capacity, steady.params.capacity, atol=1e-12)
    monkeypatch.setattr(
        rtt, "_one_off_months", lambda *args: OneOffMonths()
    )  # as before: the sweep's reneges kept
    kept_in = weeks_inputs_from_returns(swept_returns, T_AND_O)
    assert np.subtract(kept_in.params.renege, steady.params.renege).sum() > 0.02


def test_fewer_than_a_year_of_returns_says_one_offs_were_not_looked_for(tmp_path):
    """A carried note: a run of fewer than 12 returns was not read for a sweep, and nothing said so, so
    an analyst could take silence for none found."""
    short = weeks_inputs_from_returns(read_rtt_returns(months_of_returns(tmp_path, 6, swept=4)), T_AND_O)
    assert (
        "; one-off months (a validation sweep, a transfer) are not looked for: they are read on other "
        "removals (clock starts less stops less the list's change), whose flows are known for 5 months, "
        "and 11 are needed, but the list in March 2024 fell 3,439 (10% of it) further than its flows and "
        "the other months' removals explain: if that was a validation sweep or a transfer, start from that "
        "month (its list the first, the sweep behind it); read as a usual month, it is carried on; "
    ) in short.calibration  # the sweep of a tenth of the list (34,390), named though not left out
    (tmp_path / "two").mkdir()
    two = weeks_inputs_from_returns(read_rtt_returns(months_of_returns(tmp_path / "two", 2)), T_AND_O)
    assert "whose flows are known for 1 month, and 11 are needed" in two.calibration  # not "1 months"


def test_a_scaled_months_return_is_said_misreported_not_a_sweep(tmp_path):
    """An analyst's outside check: one month's return with every count nine tenths of the others' was
    left out as "a validation sweep or a transfer", and so was the next (ordinary) month, sending them to
    look for a sweep that never happened."""
    import pandas as pd

    paths = months_of_returns(tmp_path, 14)
    scaled = pd.read_csv(paths[10])
    counts = [c for c in scaled.columns if c.startswith("Gt ")]
    counts += ["Total All", "Patients with unknown clock start date", "Total"]
    scaled[counts] = (scaled[counts] * 0.9).round()
    scaled.to_csv(paths[10], index=False, float_format="%.0f")
    said = weeks_inputs_from_returns(read_rtt_returns(paths), T_AND_O).calibration
    look = "(the list moved and the next month moved back about as far: a return that looks misreported)"
    assert f"September 2024 left out {look}, October 2024 left out {look}" in said
    assert "validation sweep" not in said
