"""A rota check as tables: one row per breach, per doctor and per rule; written as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stocktake.rota.check import RotaCheck
from stocktake.rota.rules import RULES
from stocktake.spreadsheets import csv_ready, keep_text


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


def rule_table(result: RotaCheck) -> pd.DataFrame:
    """Every rule of the reference: its source and confidence, its breaches, or why it went unchecked."""
    unchecked = dict(result.unchecked)
    return pd.DataFrame(
        [
            {
                "rule": rule.number,
                "rule_name": rule.name,
                "source": rule.source,
                "confidence": rule.confidence,
                "verified": rule.verified,
                "breaches": sum(b.rule == rule.number for b in result.breaches),
                "checked": "no: " + unchecked[rule.number] if rule.number in unchecked else "yes",
            }
            for rule in RULES.values()
        ]
    )


def write_tables(result: RotaCheck, path: Path) -> Path:
    """XLSX (three sheets) or CSV (breaches; beside it NAME.doctors.csv and NAME.rules.csv)."""
    path = Path(path)
    tables = {"Breaches": breach_table(result), "Doctors": doctor_table(result), "Rules": rule_table(result)}
    if path.suffix.lower() == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            for name, table in tables.items():
                table.to_excel(writer, sheet_name=name, index=False)
            keep_text(writer.book)
    else:
        csv_ready(tables["Breaches"]).to_csv(path, index=False)
        for name in ("Doctors", "Rules"):
            csv_ready(tables[name]).to_csv(path.with_suffix(f".{name.lower()}.csv"), index=False)
    return path
