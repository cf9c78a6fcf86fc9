"""Pydantic's report on a bad file, as one line naming each place by the file's own keys."""

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from stocktake.validation_messages import describe, problems


class _Item(BaseModel):
    id: str
    size: int


class _File(BaseModel):
    items: list[_Item]

    @model_validator(mode="after")
    def _some(self):
        if not self.items:
            raise ValueError("give at least one item")
        return self


def _error(data) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        _File.model_validate(data)
    return raised.value


def test_each_problem_is_its_place_and_what_is_wrong():
    error = _error({"items": [{"id": "a", "size": "big"}, {"size": 1}]})
    assert describe(error) == (
        "items.0.size: Input should be a valid integer, unable to parse string as an integer; "
        "items.1.id: Field required"
    )


def test_a_problem_with_the_whole_file_says_top_level_without_pydantics_prefix():
    assert problems(_error({"items": []})) == ["top level: give at least one item"]


def test_the_place_can_start_where_the_part_sits_and_name_list_positions():
    error = _error({"items": [{"id": "a", "size": "big"}]})
    assert describe(error, within=("files", "stock.yaml")) == (
        "files.stock.yaml.items.0.size: Input should be a valid integer, unable to parse string as an integer"
    )

    def by_id(place):
        return [place[0], "a", *place[2:]] if place[:1] == ["items"] else place

    assert describe(error, rename=by_id).startswith("items.a.size: ")
