"""Capture format v1 (../shared/spec/capture-format.md) as code.

`models` is the single source of truth: pydantic v2 models per event type. `vectorised`
derives DuckDB predicates from those models to validate a whole day in one pass;
`reasons` runs pydantic per row, only on rejected rows, to name the reason.
"""
