"""Problems with a user's settings, one line each, and the one way they are reported.

Why one module: a user fixing a config wants every problem at once, each on one line that
names the JSON path of the field and says what to write instead, whichever check found it
(the fleet section's models, freqtrade's own schema, the consumer's start-up check).

The lines are built from pydantic's structured error data (``loc``, ``type``, ``ctx``,
``input``) and each field's own ``fix`` text, never from pydantic's wording: a field that
accepts two shapes is a tagged union (:class:`pydantic.Discriminator`) whose tag in
``loc`` is skipped because the model says it is a tag, not because of how it reads.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Discriminator, ValidationError
from pydantic.config import JsonDict

SETTING_NOUN = "setting_noun"
"""A model's ``model_config`` key naming its settings in "is not a ... setting" lines."""


def fix(text: str) -> JsonDict:
    """A field's ``json_schema_extra``: what to write instead when the field is wrong."""
    return {"fix": text}


def settings_config(noun: str | None = None) -> ConfigDict:
    """A settings model's ``model_config``: unknown keys refused, no type coercion, frozen;
    ``noun`` names its settings in "is not a <noun> setting" lines (else its JSON path)."""
    config = ConfigDict(extra="forbid", strict=True, frozen=True)
    if noun is not None:
        config[SETTING_NOUN] = noun  # type: ignore[literal-required]
    return config


def format_problems(problems: list[str]) -> str:
    """One problem as its line; several as a count and an indented line each."""
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems:\n" + "\n".join(f"  {line}" for line in problems)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds (``KubernetesSpec | None``, ``list[ProducerSpec]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for argument in typing.get_args(annotation):
            found = _model_in(argument)
            if found is not None:
                return found
    return None


class _Place:
    """Where an error's ``loc`` points: the JSON path, the model holding the last named
    field, the innermost ``fix`` text on the way."""

    def __init__(self, root: type[BaseModel], prefix: str, location: tuple[Any, ...]) -> None:
        self.path = prefix
        self.holder: type[BaseModel] | None = root
        self.fix = ""
        model: type[BaseModel] | None = root
        skip_tag = False
        for part in location:
            if skip_tag:  # the tag of a tagged union: no part of the JSON path
                skip_tag = False
                continue
            if isinstance(part, int):
                self.path += f"[{part}]"
                continue
            self.path += f".{part}" if self.path else str(part)
            self.holder = model
            field = model.model_fields.get(part) if model is not None else None
            if field is None:
                model = None
                continue
            extra = field.json_schema_extra
            if isinstance(extra, dict) and "fix" in extra:
                self.fix = str(extra["fix"])
            skip_tag = any(isinstance(item, Discriminator) for item in field.metadata)
            model = _model_in(field.annotation)


_BOUNDS = {
    "greater_than_equal": ">=",
    "less_than_equal": "<=",
    "greater_than": ">",
    "less_than": "<",
}
_WANTED = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
}


def _noun(model: type[BaseModel] | None, path: str) -> str:
    if model is None:
        return path
    return str(model.model_config.get(SETTING_NOUN) or path)


def _describe(error: Any, place: _Place, parent: str) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        holder = place.holder
        known = ", ".join(holder.model_fields) if holder is not None else ""
        return f"is not a {_noun(holder, parent)} setting; remove it (known: {known})"
    if kind == "value_error":
        return str(ctx["error"])
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()))
        shown = f"{bound:g}" if isinstance(bound, float) else bound  # 3600, not 3600.0
        return f"must be {_BOUNDS[kind]} {shown}, got {value!r}"
    if kind == "literal_error":
        return f"{value!r} is not allowed"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match {ctx['pattern']}"
    if kind in ("string_too_short", "string_too_long"):
        return f"length must be {ctx}, got {value!r}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        wanted = _WANTED.get(kind, kind.removesuffix("_type"))
        return f"must be {wanted}, got {type(value).__name__} {value!r}"
    return str(error["msg"])


def problems_from(error: ValidationError, root: type[BaseModel], prefix: str) -> list[str]:
    """One line per error of validating ``root`` at the JSON path ``prefix``, in order.

    A line is ``path: what is wrong; fix`` (an unknown key's line lists the known ones
    instead of a fix). The model that holds the unknown key names its settings with the
    ``setting_noun`` of its ``model_config`` (else its JSON path).
    """
    lines: list[str] = []
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        place = _Place(root, prefix, location)
        parent = _Place(root, prefix, location[:-1]).path
        line = f"{place.path}: {_describe(item, place, parent)}"
        if place.fix and item["type"] != "extra_forbidden":
            line += f"; {place.fix}"
        if line not in lines:
            lines.append(line)
    return lines


__all__ = ["SETTING_NOUN", "fix", "format_problems", "problems_from", "settings_config"]
