"""Problems with settings: one line per problem from pydantic's structured errors, naming
the JSON path and the field's own fix, however the model nests."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Discriminator, Field, Tag, ValidationError

from freqfleet.problems import fix, format_problems, problems_from, settings_config


class Limits(BaseModel):
    model_config = settings_config("limits")

    size: int = Field(1, ge=1, le=10, json_schema_extra=fix("use 1 to 10"))
    label: str = Field("a", pattern=r"^[a-z]+$")


class Inner(BaseModel):
    model_config = settings_config()

    depth: int = Field(0, json_schema_extra=fix("use a whole number of levels"))


def _shape(value: object) -> str:
    return "number" if isinstance(value, int) else "list"


class Settings(BaseModel):
    model_config = settings_config("sample")

    name: str = Field(json_schema_extra=fix("give it a name"))
    mode: Literal["fast", "slow"] = "fast"
    enabled: bool = True
    limits: Limits = Limits()
    items: list[Inner] = []
    amount: Annotated[
        Annotated[int, Tag("number")] | Annotated[list[int], Tag("list")],
        Discriminator(_shape),
    ] = 1


def problems(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        Settings.model_validate(data)
    return problems_from(raised.value, Settings, "section")


def test_each_kind_of_mistake_is_one_line_with_its_path_and_fix() -> None:
    lines = problems(
        {
            "mode": "quick",
            "enabled": "yes",
            "limits": {"size": 11, "label": "A1"},
            "items": [{"depth": 0}, {"depth": "2"}],
        }
    )
    assert lines == [
        "section.name: is required; give it a name",
        "section.mode: 'quick' is not allowed",
        "section.enabled: must be true or false, got str 'yes'",
        "section.limits.size: must be <= 10, got 11; use 1 to 10",
        "section.limits.label: 'A1' does not match ^[a-z]+$",
        "section.items[1].depth: must be a whole number, got str '2'; use a whole number of levels",
    ]


def test_an_unknown_key_lists_the_known_ones_under_the_models_noun() -> None:
    lines = problems({"name": "x", "colour": "red", "limits": {"sise": 2}})
    assert lines == [
        "section.limits.sise: is not a limits setting; remove it (known: size, label)",
        "section.colour: is not a sample setting; remove it "
        "(known: name, mode, enabled, limits, items, amount)",
    ]


def test_a_model_without_a_noun_is_named_by_its_path() -> None:
    lines = problems({"name": "x", "items": [{"levels": 1}]})
    assert lines == [
        "section.items[0].levels: is not a section.items[0] setting; remove it (known: depth)"
    ]


def test_the_tag_of_a_two_shaped_field_is_no_part_of_the_path() -> None:
    assert problems({"name": "x", "amount": ["a"]}) == [
        "section.amount[0]: must be a whole number, got str 'a'"
    ]


def test_settings_are_strict_and_frozen() -> None:
    settings = Settings.model_validate({"name": "x"})
    with pytest.raises(ValidationError):
        settings.name = "y"  # type: ignore[misc]
    assert problems({"name": 5}) == ["section.name: must be a string, got int 5; give it a name"]


def test_one_problem_is_its_line_several_are_counted() -> None:
    assert format_problems(["a: wrong"]) == "a: wrong"
    assert format_problems(["a: wrong", "b: also"]) == "2 problems:\n  a: wrong\n  b: also"
