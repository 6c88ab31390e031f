"""DuckDB expressions derived from the pydantic models in `models.py`.

`parsed_sql` parses a JSON line into a few columns: the JSON type at every path of the
models (`t`), the keys as written (`k`, `pk`), and every value at once (`s`, a typed STRUCT
from one `json_transform`: a well-typed value reads exactly as written). `violation_sql` is
true for a row the models would reject: a field absent or null when required, of the wrong
JSON type, or whose value breaks its constraints; or a key given twice. `column_sql` reads
the typed columns of a valid row from `s`. All of it walks the models' fields and
constraints, so the models stay the single source of truth (a test checks SQL and pydantic
agree). Each JSON function parses the line again: keep their number small.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

import annotated_types
from pydantic import AfterValidator
from pydantic.fields import FieldInfo

from sluice.contract.models import PAYLOADS, TS_FORMAT, Event, real_instant

INT_TYPES = "('BIGINT', 'UBIGINT')"


@dataclass(frozen=True)
class FieldShape:
    """What the models say of one JSON field, in the terms SQL needs."""

    kind: Literal["str", "int", "literal", "literal_list", "object"]
    required: bool
    literals: tuple[str, ...] = ()
    bounds: dict[str, Any] = field(default_factory=dict)
    real_instant: bool = False


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _literal_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(_quote(v) for v in values) + ")"


def shape_of(info: FieldInfo) -> FieldShape:
    annotation, metadata = info.annotation, list(info.metadata)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(inner) is typing.Annotated:
            inner, *extra = typing.get_args(inner)
            for item in extra:
                metadata.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        annotation = inner
    bounds: dict[str, Any] = {}
    instant = False
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            bounds["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            bounds["le"] = item.le
        elif isinstance(item, annotated_types.MinLen):
            bounds["min_length"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            bounds["max_length"] = item.max_length
        elif isinstance(item, AfterValidator) and item.func is real_instant:
            instant = True
        elif getattr(item, "pattern", None):
            bounds["pattern"] = item.pattern
        else:
            raise TypeError(f"no SQL counterpart for constraint {type(item).__name__}")
    required = info.is_required()
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return FieldShape("literal", required, tuple(typing.get_args(annotation)))
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        return FieldShape("literal_list", required, tuple(typing.get_args(item_type)))
    if annotation is str:
        return FieldShape("str", required, bounds=bounds, real_instant=instant)
    if annotation is int:
        return FieldShape("int", required, bounds=bounds)
    if origin is dict:
        return FieldShape("object", required)
    raise TypeError(f"no SQL counterpart for annotation {annotation!r}")


def _fields() -> list[tuple[str, FieldInfo]]:
    """Every (path, field) of the models: the event's, then the union of the payloads' (first model wins)."""
    fields = [(f"$.{name}", info) for name, info in Event.model_fields.items()]
    for model in PAYLOADS.values():
        fields += [(f"$.payload.{name}", info) for name, info in model.model_fields.items()
                   if f"$.payload.{name}" not in dict(fields)]
    return fields


FIELDS = _fields()
PATHS = [path for path, _ in FIELDS]
SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "literal": "VARCHAR", "literal_list": "VARCHAR[]"}
# json_transform's types: HUGEINT holds every JSON integer DuckDB types BIGINT or UBIGINT, so a well-typed
# value is never NULL; ts stays text until the checks have passed.
TRANSFORM_TYPES = {"str": "VARCHAR", "int": "HUGEINT", "literal": "VARCHAR", "literal_list": ["VARCHAR"]}


def _member(path: str) -> str:
    """The STRUCT member of `s` at a JSON path: `$.payload.x` -> `s.payload.x`."""
    return "s." + path.removeprefix("$.")


def type_at(path: str) -> str:
    """The JSON type at `path` (NULL when absent, 'NULL' when null), over `parsed_sql`'s columns."""
    return f"t[{PATHS.index(path) + 1}]"


def transform_type() -> str:
    """The STRUCT type `json_transform` reads a line into (as `s`)."""
    top: dict[str, Any] = {}
    for path, info in FIELDS:
        shape = shape_of(info)
        *parents, name = path.removeprefix("$.").split(".")
        target = top
        for parent in parents:
            target = target.setdefault(parent, {})
        if shape.kind != "object":
            target[name] = TRANSFORM_TYPES[shape.kind]
    return json.dumps(top)


def parsed_sql(json_column: str) -> str:
    """SELECT items that parse a JSON text column (NULL when it is not JSON) into what the checks read.

    `t0` is the row's JSON type; `t[i]` the JSON type at `PATHS[i]`; `lt` the types of the items of
    list-typed fields (only `key.modifiers` today); `k` / `pk` the keys of the event and of its
    payload, as written (a key given twice is there twice); `s` every value, typed.
    """
    path_list = "[" + ", ".join(f"'{p}'" for p in PATHS) + "]"
    (list_path,) = [p for p, info in FIELDS if shape_of(info).kind == "literal_list"]
    j = json_column
    return (
        f"json_type({j}) AS t0, json_type({j}, {path_list}) AS t, "
        f"CASE WHEN {type_at(list_path)} = 'ARRAY' THEN json_type({j}, '{list_path}[*]') END AS lt, "
        f"json_keys({j}) AS k, json_keys({j}, '$.payload') AS pk, json_transform({j}, '{transform_type()}') AS s"
    )


def _type_violation(shape: FieldShape, path: str) -> str:
    """True when a present, non-null value has the wrong JSON type."""
    t = type_at(path)
    if shape.kind == "object":
        return f"{t} <> 'OBJECT'"
    if shape.kind == "literal_list":
        return f"{t} <> 'ARRAY' OR len(list_filter(lt, x -> x <> 'VARCHAR')) > 0"
    if shape.kind == "int":
        return f"{t} NOT IN {INT_TYPES}"
    return f"{t} <> 'VARCHAR'"


def _value_violation(shape: FieldShape, path: str) -> str | None:
    """True when a well-typed value breaks the field's constraints (NULL when the value is absent)."""
    s = _member(path)
    if shape.kind == "literal":
        return f"{s} NOT IN {_literal_list(shape.literals)}"
    if shape.kind == "literal_list":
        return f"len(list_filter({s}, x -> x NOT IN {_literal_list(shape.literals)})) > 0"
    b = shape.bounds
    if shape.kind == "int":
        parts = [f"{s} < {b['ge']}"] if "ge" in b else []
        parts += [f"{s} > {b['le']}"] if "le" in b else []
    else:
        parts = [f"length({s}) < {b['min_length']}"] if "min_length" in b else []
        parts += [f"length({s}) > {b['max_length']}"] if "max_length" in b else []
        parts += [f"NOT regexp_matches({s}, {_quote(b['pattern'])})"] if "pattern" in b else []
        # No instant, or one before year 1: DuckDB reads year 0000 (1 BC), Python's datetime (pydantic's) does not.
        parts += [f"coalesce(try_strptime({s}, '{TS_FORMAT}') < TIMESTAMP '0001-01-01', true)"] if shape.real_instant else []
    return " OR ".join(parts) or None


def _field_violation(shape: FieldShape, path: str) -> str:
    """Absent or null when required, of the wrong type, or a value that breaks the constraints."""
    t = type_at(path)
    missing = "true" if shape.required else "false"
    wrong = _type_violation(shape, path)
    value = _value_violation(shape, path)
    if value:
        wrong = f"{wrong} OR {value}"
    return f"(CASE WHEN {t} IS NULL OR {t} = 'NULL' THEN {missing} ELSE coalesce({wrong}, true) END)"


def violation_sql() -> str:
    """A boolean SQL expression over `parsed_sql`'s columns: true when the row breaks the contract."""
    # A key given twice: SQL reads the first, pydantic the last; the contract takes neither.
    clauses = ["t0 <> 'OBJECT'", "len(k) > len(list_distinct(k))", "coalesce(len(pk) > len(list_distinct(pk)), false)"]
    clauses += [_field_violation(shape_of(info), f"$.{name}") for name, info in Event.model_fields.items()]
    for name, model in PAYLOADS.items():
        payload = [_field_violation(shape_of(info), f"$.payload.{f}") for f, info in model.model_fields.items()]
        if payload:
            clauses.append(f"(s.event_type = {_quote(name)} AND ({' OR '.join(payload)}))")
    return "(" + "\n OR ".join(clauses) + ")"


def columns() -> dict[str, str]:
    """Typed columns of a validated event: top-level fields, then the union of payload fields."""
    out: dict[str, str] = {}
    for name, info in Event.model_fields.items():
        shape = shape_of(info)
        if shape.kind != "object":
            out[name] = "TIMESTAMP" if shape.real_instant else SQL_TYPES[shape.kind]
    for model in PAYLOADS.values():
        for name, info in model.model_fields.items():
            sql_type = SQL_TYPES[shape_of(info).kind]
            if out.setdefault(name, sql_type) != sql_type:
                raise TypeError(f"payload field {name} has two types across event types")
    return out


def column_sql() -> str:
    """SELECT list of every column of `columns()`, from the `s` of a valid row."""
    paths = {path.rsplit(".", 1)[1]: path for path in PATHS}
    exprs = []
    for name, sql_type in columns().items():
        member = _member(paths[name])
        expr = f"strptime({member}, '{TS_FORMAT}')" if sql_type == "TIMESTAMP" else f"CAST({member} AS {sql_type})"
        exprs.append(f"{expr} AS {name}")
    return ",\n  ".join(exprs)
