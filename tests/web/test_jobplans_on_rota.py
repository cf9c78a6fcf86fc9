"""The comparison's first choice of rotas: a rota counts as one the consultants are on when a plan's
on-call doctor is on call in it, the codes compared as ``consultant_code`` writes them."""

from datetime import datetime

from stocktake.jobplan.designs import RotaDesign
from stocktake.rota.duties import Duty
from stocktake.web.routes.jobplans import _on


def _rota(doctor: str, kind: str = "on_call") -> RotaDesign:
    return RotaDesign("r", (Duty(doctor, datetime(2026, 4, 1, 17), datetime(2026, 4, 2, 8), kind),))


def test_a_doctor_code_typed_another_way_is_the_same_doctor():
    assert _on(_rota(" c01 "), {"C01"})  # the rota typed it in lower case with spaces
    assert _on(_rota("C01"), {"c01"})  # a plan's on_call.doctor is kept as typed
    assert _on(_rota("DR  SMITH"), {"dr smith"})
    assert not _on(_rota("C02"), {"C01"})
    assert not _on(_rota("c01", kind="shift"), {"C01"})  # a shift is not being on call
    assert not _on(None, {"C01"})
