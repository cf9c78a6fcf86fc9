"""A rota check as tables: one row per breach, one row per doctor; written as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stocktake.rota.check import RotaCheck


def breach_table(result: RotaCheck) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "doctor": b.doctor,
                "date": b.date.isoformat(),
                "rule": b.rule,
                "rule_name": b.detail.name,
                "found": b.found,
                "limit": b.limit,
                "source": b.detail.source,
                "confidence": b.detail.confidence,
                "verified": b.detail.verified,
            }
            for b in result.breaches
        ],
        columns=["doctor", "date", "rule", "rule_name", "found", "limit", "source", "confidence", "verified"],
    )


def doctor_table(result: RotaCheck) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "doctor": d.doctor,
                "average_weekly_hours": round(d.average_weekly_hours, 2),
                "weekends_worked": d.weekends_worked,
                "weekends": d.weekends,
                "weekend_frequency": d.weekend_frequency,
                "nights": d.nights,
                "night_enhancement_hours": round(d.night_hours, 2),
                "weekend_allowance": d.weekend_allowance,
            }
            for d in result.doctors
        ],
    )


def write_tables(result: RotaCheck, path: Path) -> Path:
    """XLSX (two sheets) or CSV (breaches; the doctors' figures beside it as NAME.doctors.csv)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            breach_table(result).to_excel(writer, sheet_name="Breaches", index=False)
            doctor_table(result).to_excel(writer, sheet_name="Doctors", index=False)
    else:
        breach_table(result).to_csv(path, index=False)
        doctor_table(result).to_csv(path.with_suffix(".doctors.csv"), index=False)
    return path
