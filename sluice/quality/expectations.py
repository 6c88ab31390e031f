"""Great Expectations 1.x: each gated table's statistical suite (versioned JSON in `expectations/`), run on the
day's figures (`profiles.py`: one row of aggregates computed in DuckDB, never the rows) with bounds from the recent
published days as the suite's parameters.

One `ValidationDefinition` per suite, made once per process. Each outcome is pass or fail with its severity (an
expectation's `meta.severity`: `block` or `warn`); GX's own result also carries the values, which never leave here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from sluice.quality import profiles

SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage statistics sent from here


@dataclass(frozen=True)
class Outcome:
    expectation: str  # the figure it bounds (`rows`, `share_key`), as the suite names its column
    success: bool
    blocking: bool  # `block` band: a failure blocks the day; `warn`: it is reported and the day publishes


def load_suite(name: str, suites_dir: Path = SUITES_DIR) -> dict:
    return json.loads((suites_dir / f"{name}.json").read_text())


@cache
def _context():
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


@cache
def _validation(suite_json: str):
    """The suite's ValidationDefinition, over a whole-DataFrame batch: made once, run with each day's figures."""
    import great_expectations as gx

    context, suite = _context(), json.loads(suite_json)
    key = f"{suite['name']}_{hashlib.sha256(suite_json.encode()).hexdigest()[:12]}"  # one of each version of a suite
    batch = context.data_sources.add_pandas(f"sluice_{key}").add_dataframe_asset("figures").add_batch_definition_whole_dataframe("day")
    return context.validation_definitions.add(gx.ValidationDefinition(
        name=key, data=batch, suite=context.suites.add(gx.ExpectationSuite(**{**suite, "name": key}))))


def validate(figures: dict[str, float | None], suite: dict, parameters: dict[str, float | None]) -> list[Outcome]:
    """The suite's expectations on one day's figures, with `parameters` as their bounds."""
    result = _validation(json.dumps(suite, sort_keys=True)).run(
        batch_parameters={"dataframe": pd.DataFrame([figures])}, expectation_parameters=parameters, result_format="BOOLEAN_ONLY")
    return [Outcome(item.expectation_config.kwargs["column"], bool(item.success),
                    (item.expectation_config.meta or {}).get("severity", "block") == "block")
            for item in result.results]


def judge(con, suite: str, relation: str, day, published, suites_dir: Path = SUITES_DIR) -> list[Outcome]:
    """Day D of `relation` (its rows of that day) against its suite: its figures recorded in the private zone, the
    bounds drawn from the `published` days' figures before D."""
    figures = profiles.record(con, suite, relation, day)
    baseline = profiles.history(con, suite, [d for d in published if d < day])
    return validate(figures, load_suite(suite, suites_dir), profiles.bounds(baseline))
