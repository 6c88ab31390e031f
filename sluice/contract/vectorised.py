"""DuckDB expressions derived from the pydantic models in `models.py`.

`violation_sql` is true for a JSON row that the models would reject; `column_sql` pulls
the typed columns of a valid row. Both walk the models' fields and constraints, so the
models stay the single source of truth (a test checks SQL and pydantic agree).
"""

from __future__ import annotations

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


def _paths() -> list[str]:
    paths = [f"$.{name}" for name in Event.model_fields]
    for model in PAYLOADS.values():
        paths += [f"$.payload.{name}" for name in model.model_fields if f"$.payload.{name}" not in paths]
    return paths


PATHS = _paths()


def parsed_sql(json_column: str) -> str:
    """SELECT items that parse a JSON column once into the lists the checks read.

    `t[i]` / `v[i]` are the JSON type and string value at `PATHS[i]`, `lt` / `lv` those
    of the items of list-typed fields (only `key.modifiers` today), `k` / `pk` the keys of
    the event and of its payload, as written (a key given twice is there twice).
    """
    path_list = "[" + ", ".join(f"'{p}'" for p in PATHS) + "]"
    (list_path,) = [p for p in PATHS if _shape_at(p).kind == "literal_list"]
    return (
        f"json_type({json_column}) AS t0, json_type({json_column}, {path_list}) AS t, "
        f"json_extract_string({json_column}, {path_list}) AS v, "
        f"json_type({json_column}, '{list_path}[*]') AS lt, json_extract_string({json_column}, '{list_path}[*]') AS lv, "
        f"json_keys({json_column}) AS k, json_keys({json_column}, '$.payload') AS pk"
    )


def _shape_at(path: str) -> FieldShape:
    name = path.rsplit(".", 1)[1]
    if path.startswith("$.payload."):
        info = next(m.model_fields[name] for m in PAYLOADS.values() if name in m.model_fields)
    else:
        info = Event.model_fields[name]
    return shape_of(info)


def _value_violation(shape: FieldShape, path: str) -> str:
    """True when a present, non-null value breaks the field's type or constraints."""
    i = PATHS.index(path) + 1
    t, s = f"t[{i}]", f"v[{i}]"
    if shape.kind == "object":
        return f"{t} <> 'OBJECT'"
    if shape.kind == "literal":
        return f"{t} <> 'VARCHAR' OR {s} NOT IN {_literal_list(shape.literals)}"
    if shape.kind == "literal_list":
        return (
            f"{t} <> 'ARRAY'"
            " OR len(list_filter(lt, x -> x <> 'VARCHAR')) > 0"
            f" OR len(list_filter(lv, x -> x NOT IN {_literal_list(shape.literals)})) > 0"
        )
    b = shape.bounds
    if shape.kind == "int":
        n = f"TRY_CAST({s} AS HUGEINT)"
        parts = [f"{t} NOT IN {INT_TYPES}"]
        parts += [f"{n} < {b['ge']}"] if "ge" in b else []
        parts += [f"{n} > {b['le']}"] if "le" in b else []
        return " OR ".join(parts)
    parts = [f"{t} <> 'VARCHAR'"]
    parts += [f"length({s}) < {b['min_length']}"] if "min_length" in b else []
    parts += [f"length({s}) > {b['max_length']}"] if "max_length" in b else []
    parts += [f"NOT regexp_matches({s}, {_quote(b['pattern'])})"] if "pattern" in b else []
    # No instant, or one before year 1: DuckDB reads year 0000 (1 BC), Python's datetime (pydantic's) does not.
    parts += [f"coalesce(try_strptime({s}, '{TS_FORMAT}') < TIMESTAMP '0001-01-01', true)"] if shape.real_instant else []
    return " OR ".join(parts)


def _field_violation(shape: FieldShape, path: str) -> str:
    t = f"t[{PATHS.index(path) + 1}]"
    missing = "true" if shape.required else "false"
    return (
        f"(CASE WHEN {t} IS NULL THEN {missing} WHEN {t} = 'NULL' THEN {missing}"
        f" ELSE coalesce({_value_violation(shape, path)}, true) END)"
    )


def violation_sql() -> str:
    """A boolean SQL expression over the columns of `parsed_sql`: true when the row breaks the contract."""
    # A key given twice: SQL reads the first, pydantic the last; the contract takes neither.
    clauses = ["t0 <> 'OBJECT'", "len(k) > len(list_distinct(k))", "coalesce(len(pk) > len(list_distinct(pk)), false)"]
    clauses += [_field_violation(shape_of(info), f"$.{name}") for name, info in Event.model_fields.items()]
    event_type = f"v[{PATHS.index('$.event_type') + 1}]"
    for name, model in PAYLOADS.items():
        payload = [_field_violation(shape_of(info), f"$.payload.{f}") for f, info in model.model_fields.items()]
        if payload:
            clauses.append(f"({event_type} = {_quote(name)} AND ({' OR '.join(payload)}))")
    return "(" + "\n OR ".join(clauses) + ")"


SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "literal": "VARCHAR", "literal_list": "VARCHAR[]"}


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
    """SELECT list that extracts every column of `columns()` from a valid JSON row `j`."""
    top = set(Event.model_fields)
    exprs = []
    for name, sql_type in columns().items():
        path = f"$.{name}" if name in top else f"$.payload.{name}"
        if sql_type == "TIMESTAMP":
            expr = f"strptime(j->>'{path}', '{TS_FORMAT}')"
        elif sql_type == "VARCHAR[]":
            expr = f"json_extract_string(j, '{path}[*]')"
        else:
            expr = f"CAST(j->>'{path}' AS {sql_type})"
        exprs.append(f"{expr} AS {name}")
    return ",\n  ".join(exprs)
