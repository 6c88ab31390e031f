"""Great Expectations 1.x suites (versioned JSON in `expectations/`) run on bounded DataFrames.

GX validates a sample of each candidate table (heavy, full-day regex scans belong to the
leak scan in DuckDB). The outcome is reported per expectation as pass/fail and the number
of unexpected rows: GX's own result also carries example values, which never leave here.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage statistics sent from here


@dataclass(frozen=True)
class Outcome:
    expectation: str  # `<type>.<column>` (column names are the suite's own)
    success: bool
    unexpected: int


def load_suite(name: str, suites_dir: Path = SUITES_DIR) -> dict:
    return json.loads((suites_dir / f"{name}.json").read_text())


@cache
def _context():
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


def validate(df: pd.DataFrame, suite: dict) -> list[Outcome]:
    import great_expectations as gx

    context = _context()
    name = suite["name"]
    source = context.data_sources.add_or_update_pandas(f"sluice_{name}")
    asset = source.add_dataframe_asset(name) if name not in source.get_asset_names() else source.get_asset(name)
    batch_definition = asset.add_batch_definition_whole_dataframe(f"{name}_{len(asset.batch_definitions)}")
    result = batch_definition.get_batch(batch_parameters={"dataframe": df}).validate(
        gx.ExpectationSuite(**suite), result_format="BASIC")
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        column = config.kwargs.get("column")
        outcomes.append(Outcome(
            f"{config.type}.{column}" if column else config.type,
            bool(item.success),
            int(item.result.get("unexpected_count") or (0 if item.success else 1)),
        ))
    return outcomes
