"""The chronology's JSON Schema, and checking a document against it without a library.

The schema ships beside this module (``chronology.schema.json``); `schema_errors`
knows the subset of JSON Schema 2020-12 the schema uses, so that `intake verify`
needs no jsonschema package (the tests check the schema with jsonschema too).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from .entries import EntryList


@cache
def load_schema() -> dict:
    """The JSON Schema (draft 2020-12) shipped beside this module."""
    text = resources.files(__package__).joinpath("chronology.schema.json").read_text("utf-8")
    return json.loads(text)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list | EntryList),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _resolve_ref(ref: str, root: Mapping[str, Any]) -> Any:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def schema_errors(value: Any, schema: Any = None, root: Any = None,
                  path: tuple = ()) -> list[tuple[tuple, str]]:
    """Validate against the subset of JSON Schema 2020-12 that our schema uses
    (no third-party library needed at run time). Returns (path, message) pairs."""
    if schema is None:
        schema = root = load_schema()
    if schema is True:
        return []
    if schema is False:
        return [(path, "is not allowed here")]
    errors: list[tuple[tuple, str]] = []
    if "$ref" in schema:
        errors += schema_errors(value, _resolve_ref(schema["$ref"], root), root, path)
    for sub in schema.get("allOf", ()):
        errors += schema_errors(value, sub, root, path)
    if "anyOf" in schema:
        if not any(not schema_errors(value, sub, root, path) for sub in schema["anyOf"]):
            errors.append((path, "has a value of the wrong form"))
    if "const" in schema and not (value == schema["const"] and type(value) is type(schema["const"])):
        errors.append((path, f"must be {json.dumps(schema['const'])}"))
    if "enum" in schema and not any(value == e and type(value) is type(e) for e in schema["enum"]):
        errors.append((path, "must be one of " + ", ".join(json.dumps(e) for e in schema["enum"])))
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            return errors + [(path, f"must be of type {' or '.join(types)}")]
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append((path, "is not in the expected form"))
        if len(value) < schema.get("minLength", 0):
            errors.append((path, "is too short"))
    if isinstance(value, int) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append((path, f"must be at least {schema['minimum']}"))
    if isinstance(value, list | EntryList):  # a sealed chronology's entries decode one by one
        if len(value) < schema.get("minItems", 0):
            errors.append((path, f"must have at least {schema['minItems']} item(s)"))
        if "items" in schema:
            for i, v in enumerate(value):
                errors += schema_errors(v, schema["items"], root, path + (i,))
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                errors.append((path, f"lacks the field {key!r}"))
        props = schema.get("properties", {})
        for key, v in value.items():
            if key in props:
                errors += schema_errors(v, props[key], root, path + (key,))
            elif "additionalProperties" in schema:
                extra = schema["additionalProperties"]
                if extra is False:
                    errors.append((path, f"has an unexpected field {key!r}"))
                else:
                    errors += schema_errors(v, extra, root, path + (key,))
    return errors
