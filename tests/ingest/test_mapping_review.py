"""The suggestion as a form and the form's answers as a mapping: hand-worked samples, and trusts'
styles where the form left as suggested saves the very mapping `stocktake mapping suggest` drafts."""

from __future__ import annotations

from datetime import date

import pytest
import yaml
from trust_styles import true_mapping, write_extracts

from stocktake.demo.generate import Department, generate
from stocktake.ingest.draft import suggestion_to_mapping
from stocktake.ingest.mapping import Mapping
from stocktake.ingest.review import (
    AS_WRITTEN,
    DatasetAnswer,
    FieldAnswer,
    ReviewError,
    field_rows,
    mapping_from,
    mapping_yaml,
    reached,
    review_from_json,
    review_of,
    review_to_json,
)
from stocktake.ingest.samples import sample_folder
from stocktake.ingest.suggest import ColumnSample, ExtractSample, suggest_mapping
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.coverage import codes_used

TODAY = date(2026, 12, 2)
#: Ten valid NHS numbers (check digit by modulus 11), each in two rows: as repeated as a code.
NHS = ("9434765919", "9434765870", "4010232137", "9990001296", "4505577104")


def _sample() -> ExtractSample:
    rows = 20
    columns = {
        "Spell No": [f"S{i:04d}" for i in range(rows)],
        "NHS No": [NHS[i % len(NHS)] for i in range(rows)],
        "Hospital": ["North", "South"] * (rows // 2),
        "Arrival Date Time": [f"{1 + i:02d}/03/2024 10:{i:02d}" for i in range(rows)],
        "Bone Health": ["Y", "N", "Y", "Y"] * (rows // 4),
        "Delirium Assessed": ["Done", "Not done"] * (rows // 2),
        "Mobilised Day 1": ["Y"] * (rows - 1) + [NHS[0]],  # an NHS number typed in the wrong column
        "Died Within 30 Days": ["0"] * (rows - 2) + ["1", "1"],
    }
    return ExtractSample("nhfd.csv", tuple(ColumnSample(k, tuple(v)) for k, v in columns.items()))


HIP_REQUIRED = (
    "spell_id",
    "site",
    "arrived_at",
    "delirium_assessed",
    "bone_health_assessed",
    "died_within_30_days",
)
CASES_REQUIRED = ("case_id", "session_id", "procedure", "procedure_group", "cancelled_on_day")


@pytest.fixture(scope="module")
def review():
    samples = [_sample()]
    codes = codes_used(load_catalogue())
    return review_of(samples, suggest_mapping(samples, codes, today=TODAY), codes, TODAY)


def _answer(review, dataset: str, **fields: FieldAnswer) -> dict[str, DatasetAnswer]:
    return {dataset: DatasetAnswer(True, tuple(fields.items()))}


def _row(rows, dataset: str, field: str):
    found = next(d for d in rows if d.dataset == dataset)
    return next(f for f in found.fields if f.field == field)


def test_no_identifier_is_listed_as_a_code_and_the_review_keeps_as_json(review):
    hips = review.dataset("hip_fractures")
    assert hips is not None and hips.suggestion.file == "nhfd.csv"
    listed = {c.name: c.values for c in hips.columns}
    assert listed["NHS No"] == ()  # five values, each twice: a code list but for the check digits
    assert listed["Mobilised Day 1"] == ()  # one NHS number among its codes: none listed
    assert listed["Spell No"] == ()  # every value different: a key, not a code list
    assert listed["Hospital"] == (("North", 10), ("South", 10))
    assert review_from_json(review_to_json(review)) == review
    assert not any(n in review_to_json(review).decode() for n in NHS)


def test_codes_as_ingest_reads_them_are_not_written_and_others_are(review):
    """Y/N is what ingest reads as a flag anyway: no code list. "Done"/"Not done" is not: written."""
    answers = _answer(
        review,
        "hip_fractures",
        site=FieldAnswer("Hospital", shown_for="Hospital"),
        bone_health_assessed=FieldAnswer(
            "Bone Health", codes=(("Y", "true"), ("N", "false")), shown_for="Bone Health"
        ),
        delirium_assessed=FieldAnswer(
            "Delirium Assessed",
            codes=(("Done", "true"), ("Not done", "false")),
            shown_for="Delirium Assessed",
        ),
    )
    mapping = mapping_from(review, answers, "NHFD", today=TODAY)
    columns = mapping.datasets["hip_fractures"].columns
    assert columns["bone_health_assessed"].codes is None
    assert columns["delirium_assessed"].codes == {"Done": True, "Not done": False}
    assert columns["arrived_at"].format == "%d/%m/%Y %H:%M"
    assert Mapping.model_validate_json(mapping.model_dump_json()) == mapping
    assert Mapping.model_validate(yaml.safe_load(mapping_yaml(mapping, "a header"))) == mapping


def test_a_flag_code_left_without_a_value_is_named_with_its_rows(review):
    answers = _answer(
        review,
        "hip_fractures",
        site=FieldAnswer("Hospital", shown_for="Hospital"),
        delirium_assessed=FieldAnswer(
            "Delirium Assessed", codes=(("Done", "true"), ("Not done", "")), shown_for="Delirium Assessed"
        ),
    )
    with pytest.raises(ReviewError) as refused:
        mapping_from(review, answers, "NHFD", today=TODAY)
    assert refused.value.problems == (
        "hip_fractures.delirium_assessed: the code 'Not done' (10 rows in the sample) has no value: "
        "choose one of true, false, or the rows with it will be refused",
    )


def test_a_new_column_shows_its_own_codes_and_format_before_it_may_be_saved(review):
    answers = _answer(
        review,
        "hip_fractures",
        site=FieldAnswer("Bone Health", shown_for="Hospital"),  # another column than suggested
        arrived_at=FieldAnswer("Arrival Date Time", format="", shown_for="Spell No"),
    )
    rows = field_rows(review, answers, TODAY)
    arrived = _row(rows, "hip_fractures", "arrived_at")
    assert arrived.changed and arrived.format == "%d/%m/%Y %H:%M"  # the new column's own format
    site = _row(rows, "hip_fractures", "site")
    assert site.confidence is None and site.evidence == "chosen by you"  # not the one suggested
    with pytest.raises(ReviewError, match="you chose the column 'Arrival Date Time'"):
        mapping_from(review, answers, "NHFD", today=TODAY)


def test_required_fields_and_the_source_are_checked_by_the_model(review):
    answers = _answer(review, "hip_fractures", site=FieldAnswer("Hospital", shown_for="Hospital"))
    answers["hip_fractures"] = DatasetAnswer(
        True, (*answers["hip_fractures"].fields, ("spell_id", FieldAnswer("", shown_for="Spell No")))
    )
    with pytest.raises(ReviewError) as refused:
        mapping_from(review, answers, " ", today=TODAY)
    assert refused.value.problems == ("source: say which system the extracts come from",)
    with pytest.raises(ReviewError) as refused:
        mapping_from(review, answers, "NHFD", today=TODAY)
    assert refused.value.problems == (
        "datasets.hip_fractures.columns: the required column spell_id is not mapped",
    )


def test_the_departments_other_datasets_are_kept_and_count_for_coverage(review):
    kept = Mapping.model_validate(
        {
            "source": "old",
            "datasets": {
                "hip_fractures": {"file": "old.csv", "columns": {f: f.upper() for f in HIP_REQUIRED}},
                "theatre_cases": {"file": "cases.csv", "columns": {f: f.upper() for f in CASES_REQUIRED}},
            },
        }
    )
    answers = _answer(review, "hip_fractures", site=FieldAnswer("Hospital", shown_for="Hospital"))
    mapping = mapping_from(review, answers, "NHFD", keep=kept, today=TODAY)
    assert mapping.datasets["hip_fractures"].file == "nhfd.csv"  # reviewed: replaced
    assert mapping.datasets["theatre_cases"] == kept.datasets["theatre_cases"]  # not reviewed: kept
    given = reached(review, answers, kept, TODAY)
    assert set(given) == {"hip_fractures", "theatre_cases"} and given["theatre_cases"]["case_id"] is None
    assert given["hip_fractures"]["bone_health_assessed"] == frozenset({"true", "false"})


@pytest.mark.parametrize("style", ["westbrook_held_out", "northgate_upper_snake"])
def test_the_form_left_as_suggested_saves_the_mapping_the_draft_holds(tmp_path, style):
    """Every field, format and code as `stocktake mapping suggest` drafts it, once the codes it could
    not place are given their true value (the draft lists them for a person to assign)."""
    truth = true_mapping(style)
    write_extracts(generate(Department(seed=5, months=2)), truth, tmp_path)
    samples = sample_folder(tmp_path).samples
    codes = codes_used(load_catalogue())
    suggestion = suggest_mapping(samples, codes, today=TODAY)
    review = review_of(samples, suggestion, codes, TODAY)
    answers = {}
    for rows in field_rows(review, None, TODAY):
        fields = []
        for row in rows.fields:
            true_field = truth.datasets[rows.dataset].columns.get(row.field)  # an optional one unmapped
            true_codes = (true_field.codes if true_field else None) or {}
            chosen = tuple(
                (c.code, c.chosen or str(true_codes.get(c.code, AS_WRITTEN)).lower()) for c in row.codes
            )
            fields.append((row.field, FieldAnswer(row.column, row.format, chosen, row.column)))
        answers[rows.dataset] = DatasetAnswer(rows.include, tuple(fields))
    saved = mapping_from(review, answers, suggestion.source, today=TODAY)
    draft = suggestion_to_mapping(suggestion)
    assert set(saved.datasets) == set(draft.datasets)
    for name, spec in draft.datasets.items():
        for field, column in spec.columns.items():
            got = saved.datasets[name].columns[field]
            assert (got.column, got.format, got.check) == (column.column, column.format, column.check)
            unplaced = {c for c in (got.codes or {}) if c not in (column.codes or {})}
            assert {c: v for c, v in (got.codes or {}).items() if c not in unplaced} == (column.codes or {})
