"""The assets called as functions (`dg.build_asset_context`, no run): each yields its materialization and the
results of the gates it owns, against a real home, private zone and raw folder."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pytest
from conftest import DAY

from assets.lifecycle import erasure
from assets.private import eligible_events, landed_lines, validated_events
from orchestration.resources import resources
from sluice.lifecycle.erasure import days_to_rebuild


@pytest.fixture
def day_resources(sluice_home):
    return resources()


def _results(asset_fn, partition: str, resources: dict, names: list[str]) -> tuple[dict, dict]:
    """(materialization metadata, {check: passed}) of one direct call."""
    with dg.build_asset_context(partition_key=partition, resources={n: resources[n] for n in names}) as context:
        out = list(asset_fn(context))
    (materialized,) = [o for o in out if isinstance(o, dg.MaterializeResult)]
    return ({k: v.value if hasattr(v, "value") else v for k, v in materialized.metadata.items()},
            {o.check_name: o.passed for o in out if isinstance(o, dg.AssetCheckResult)})


def test_the_private_zone_assets_land_validate_and_promote_a_day_with_their_gates(day_resources):
    landed, checks = _results(landed_lines, DAY.isoformat(), day_resources, ["private_zone", "raw_store", "export", "buckets"])
    assert landed["lines_in_folder"] > 1000 and landed["unreadable_at_landing"] == 0 and checks == {"storage_security": True, "freshness": True}
    erased, checks = _results(erasure, DAY.isoformat(), day_resources, ["private_zone", "raw_store", "export"])
    # the simulator's withdrawn employees leave the raw batches; no day of theirs was promoted yet: none to rebuild
    assert erased["subjects"] >= 1 and erased["raw_lines_erased"] > 0 and erased["days_to_rebuild"] == []
    assert checks == {"erasure_verified": True}
    validated, checks = _results(validated_events, DAY.isoformat(), day_resources, ["private_zone"])
    assert validated["valid"] > 0 and checks == {"line_conservation": True, "scope_creep": True, "contract_failure_rate": True}
    eligible, checks = _results(eligible_events, DAY.isoformat(), day_resources, ["private_zone"])
    assert eligible["promoted"] > 0 and checks == {"promotion_conservation": True, "residual_risk": True}
    assert eligible["promoted"] + sum(v for k, v in eligible.items() if k.startswith("excluded:")) == validated["valid"]


@pytest.mark.parametrize("publishes, rebuilt", [(True, ["2026-11-01", "2026-11-03"]), (False, ["2026-11-01", "2026-11-02", "2026-11-03"])])
def test_an_erasure_rebuilds_every_day_it_touched_but_the_one_its_run_publishes(publishes, rebuilt):
    touched = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert [d.isoformat() for d in days_to_rebuild(touched, date(2026, 11, 2), publishes)] == rebuilt
