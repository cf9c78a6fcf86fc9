"""Coverage: which measures a mapping can compute, the fields each needs read from the catalogue's
own definitions (hand-worked here from the catalogue file), and agreement with the engine's own
view of which measures lack data."""

import ibis
import pytest

from stocktake.demo.export import export
from stocktake.demo.generate import Department, generate
from stocktake.demo.run import MAPPING
from stocktake.ingest.load import ingest_directory
from stocktake.ingest.mapping import load_mapping
from stocktake.ingest.schemas import DATASETS
from stocktake.metrics.catalogue import load_catalogue
from stocktake.metrics.coverage import codes_used, coverage, fields_table, mapped_fields, needed_fields
from stocktake.metrics.run import missing_data
from stocktake.warehouse import connect_ibis


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.mark.parametrize(
    ("metric_id", "expected"),
    [
        # A hip-fracture record joined (left) to its spell: the stay's dates come from admissions.
        (
            "hipfx_length_of_stay",
            {"admissions": {"admitted_at", "discharged_at", "spell_id"}, "hip_fractures": {"spell_id"}},
        ),
        # The engine builds the joined view even when no admissions column is read.
        ("hipfx_patients", {"admissions": {"spell_id"}, "hip_fractures": {"arrived_at", "spell_id"}}),
        # A list's first patient in: a roll-up of cases by session, joined to the lists.
        (
            "theatre_late_starts",
            {
                "theatre_cases": {"in_theatre_at", "session_id"},
                "theatre_sessions": {"date", "planned_start", "session_id"},
            },
        ),
        # The next referral of the same patient: partition and order fields.
        (
            "vfc_reattended_within_30d",
            {"fracture_clinic": {"outcome", "patient_id", "referral_id", "referred_at", "vfc_reviewed_at"}},
        ),
        # A census: clock start and stop, not a period date.
        ("rtt_over_52_weeks", {"rtt_pathways": {"clock_start", "clock_stop"}}),
        (
            "implant_spend_per_case",
            {
                "admissions": {"admission_method", "admitted_at", "procedure_group"},
                "procurement": {"category", "ordered_on", "quantity", "unit_price"},
            },
        ),
        (
            "days_between_elective_deaths",
            {"admissions": {"admission_method", "died_in_hospital", "discharged_at"}},
        ),
    ],
)
def test_the_fields_a_measure_needs_are_read_from_its_definition(catalogue, metric_id, expected):
    assert needed_fields(catalogue, catalogue.metric(metric_id)) == {
        d: frozenset(f) for d, f in expected.items()
    }


def test_the_codes_the_catalogue_compares_with_are_found(catalogue):
    assert codes_used(catalogue) == {
        "admissions": {
            "admission_method": ("day_case", "elective", "non_elective"),
            "procedure_group": ("hip_replacement", "knee_replacement"),
        },
        "fracture_clinic": {"outcome": ("discharged", "face_to_face")},
        "procurement": {"category": ("consumable", "implant")},
    }


def test_the_demo_mapping_covers_every_measure(catalogue):
    found = coverage(load_mapping(MAPPING), catalogue)
    assert len(found.computable) == len(catalogue.metrics) == 40


@pytest.mark.parametrize("dropped", sorted(DATASETS))
def test_a_dataset_left_out_stops_the_measures_the_engine_says_lack_data(catalogue, dropped):
    mapping = load_mapping(MAPPING)
    mapping = mapping.model_copy(
        update={"datasets": {k: v for k, v in mapping.datasets.items() if k != dropped}}
    )
    con = ibis.duckdb.connect()
    for name in mapping.datasets:
        con.raw_sql(f"CREATE TABLE {name} (x INTEGER)")
    # the tables hold no canonical field at all: the measures lacking the dropped *dataset* are the ones
    engine_says = {m for m, lacking in missing_data(con, catalogue).items() if dropped in lacking}
    found = coverage(mapping, catalogue)
    assert {m.metric_id for m in found.not_computable} == engine_says
    assert engine_says  # every dataset is read by some measure
    for measure in found.not_computable:
        assert measure.unmapped == (dropped,)
        assert dict(measure.missing)[dropped] == dict(measure.needs)[dropped]


def test_a_field_the_mapping_left_out_stops_its_measures_and_an_empty_mapped_one_does_not(
    catalogue, tmp_path
):
    """Loaded with a mapping that leaves surgery_at out, the hip-fracture surgery measures are said
    to lack it (not a share of 0%), the same measures coverage names; a field mapped but empty (no
    virtual fracture clinic reviews in three months before the clinic began) is data, and counts."""
    mapping = load_mapping(MAPPING)
    hips = mapping.datasets["hip_fractures"]
    without = hips.model_copy(
        update={"columns": {k: v for k, v in hips.columns.items() if k != "surgery_at"}}
    )
    mapping = mapping.model_copy(update={"datasets": {**mapping.datasets, "hip_fractures": without}})
    export(generate(Department(seed=5, months=3)), load_mapping(MAPPING), tmp_path / "raw")
    warehouse = tmp_path / "warehouse.duckdb"
    ingest_directory(tmp_path / "raw", mapping, warehouse, b"k" * 32, confirm_removals=True)
    con = connect_ibis(warehouse)
    try:
        engine_says = missing_data(con, catalogue)
        empty = con.table("fracture_clinic").vfc_reviewed_at.count().execute()
    finally:
        con.disconnect()
    expected = {m.metric_id for m in coverage(mapping, catalogue).not_computable}
    assert set(engine_says) == expected and "hipfx_surgery_36h" in expected
    assert all(lacking == ("hip_fractures.surgery_at",) for lacking in engine_says.values())
    assert empty == 0 and not any(m.startswith("vfc_") for m in engine_says)


def test_an_optional_field_left_out_is_named_for_each_measure_that_reads_it(catalogue):
    fields = mapped_fields(load_mapping(MAPPING))
    del fields["hip_fractures"]["surgery_at"]
    found = coverage(fields, catalogue)
    lacking = {m.metric_id: m.missing for m in found.not_computable}
    assert lacking == {
        metric_id: (("hip_fractures", ("surgery_at",)),)
        for metric_id in ("hipfx_surgery_36h", "hipfx_mobilised_day_after_surgery", "hipfx_prompt_surgery")
    }


def test_a_dataset_missing_a_required_field_cannot_load_so_its_measures_say_so(catalogue):
    fields = mapped_fields(load_mapping(MAPPING))
    del fields["rtt_pathways"]["status"]  # required, though no measure reads it
    found = coverage(fields, catalogue)
    rtt = [m for m in found.measures if "rtt_pathways" in dict(m.needs)]
    assert rtt and all(dict(m.missing) == {"rtt_pathways": ("status",)} for m in rtt)


def test_a_code_list_that_never_gives_a_compared_value_is_named(catalogue):
    fields = mapped_fields(load_mapping(MAPPING))
    fields["admissions"]["admission_method"] = frozenset({"elective", "non_elective"})  # no day case code
    found = coverage(fields, catalogue)
    unreached = {m.metric_id: m.unreached for m in found.not_computable}
    assert unreached == {
        metric_id: ("admissions.admission_method = day_case",)
        for metric_id in (
            "los_elective_hip_knee",
            "los_elective_hip",
            "los_elective_knee",
            "daycase_rate_hip_knee",
            "implant_spend_per_case",
        )
    }


def test_the_table_of_fields_has_a_row_per_measure(catalogue):
    table = fields_table(catalogue)
    assert len(table.splitlines()) == 2 + len(catalogue.metrics)
    assert (
        "| Capped theatre utilisation | `theatre_capped_utilisation` | theatre_cases: in_theatre_at, "
        "out_of_theatre_at, session_id; theatre_sessions: date, planned_end, planned_start, session_id |"
    ) in table
