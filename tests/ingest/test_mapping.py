"""Mapping files: the demo's loads, and a bad one names the file and the key at fault."""

import pytest

from stocktake.demo.run import MAPPING
from stocktake.ingest.mapping import MappingError, load_mapping


def test_demo_mapping_maps_every_canonical_dataset():
    mapping = load_mapping(MAPPING)
    assert set(mapping.datasets) == {
        "admissions",
        "hip_fractures",
        "theatre_sessions",
        "theatre_cases",
        "fracture_clinic",
        "procurement",
        "rtt_pathways",
    }


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        (
            "source: x\ndatasets:\n  wards: {file: a.csv, columns: {}}\n",
            "datasets.wards: not a canonical dataset",
        ),
        (
            "source: x\ndatasets:\n  procurement: {file: a.csv, columns: {line_id: ID}}\n",
            "the required column ordered_on is not mapped",
        ),
        (
            "source: x\ndatasets:\n  rtt_pathways:\n    file: a.csv\n"
            "    columns: {pathway_id: P, patient_id: N, clock_start: S, procedure_group: G, status: T,"
            " priority: {column: R, codes: {'1': P9}}}\n",
            "priority.codes: P9 not among P1, P2, P3, P4",
        ),
        (  # a blank mapped to a priority: never applied, silently (an outside check)
            "source: x\ndatasets:\n  rtt_pathways:\n    file: a.csv\n"
            "    columns: {pathway_id: P, patient_id: N, clock_start: S, procedure_group: G, status: T,"
            " priority: {column: R, codes: {'1': P1, '': P4}}}\n",
            "priority.codes: a blank is not a code",
        ),
        (  # YAML's null as a code had become the text "None", as never used
            "source: x\ndatasets:\n  rtt_pathways:\n    file: a.csv\n"
            "    columns: {pathway_id: P, patient_id: N, clock_start: S, procedure_group: G, status: T,"
            " priority: {column: R, codes: {'1': P1, ~: P4}}}\n",
            "priority.codes: a blank is not a code",
        ),
        ("source: x\ndatasets: [\n", "cannot read the mapping"),
    ],
)
def test_bad_mapping_is_explained(tmp_path, yaml_text, message):
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml_text)
    with pytest.raises(MappingError) as error:
        load_mapping(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)
