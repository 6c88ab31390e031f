"""The code location as the UI and the schedule see it."""

import subprocess
import textwrap
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.dbt_models import SluiceDbtTranslator, dbt_run_env
from orchestration.dbt_project import dbt_project
from orchestration.resources import SluiceDbtCliResource


def test_definitions_load_with_zones_checks_and_job(sluice_home):
    from definitions import build_definitions

    defs = build_definitions()

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert {"raw/capture_batches", "private/landed_lines", "private/validated_events", "private/eligible_events",
            "training/interaction_steps", "analytics/daily_app_usage", "publish/published_day"} <= keys
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["training/interaction_steps"] == "training" and groups["private/stg_events"] == "private"
    checks = {c.name: c for c in defs.resolve_asset_graph().asset_check_keys}
    assert {"line_conservation", "scope_creep", "contract_failure_rate", "promotion_conservation", "assert_k_anonymity",
            "leak_scan", "expectations", "freshness", "assert_pseudonymous_keys", "assert_no_sensitivity_column"} <= set(checks)
    from sluice.quality.gates import WARN_ONLY

    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys]
    assert len(specs) >= 30  # every gate and dbt test of the code location
    assert [spec.key.to_user_string() for spec in specs if spec.blocking == (spec.name in WARN_ONLY)] == []
    job = defs.resolve_job_def("daily_publish")
    assert job.partitions_def is not None
    assert defs.resolve_schedule_def("daily_publish_schedule") is not None


def test_dbt_gets_the_partition_k_and_target_as_env_not_vars(tmp_path):
    env = dbt_run_env("2026-11-02", 5, tmp_path)
    assert env == {"SLUICE_PARTITION_DATE": "2026-11-02", "SLUICE_K_ANONYMITY": "5", "DBT_TARGET_PATH": str(tmp_path)}
    sql = (Path(dbt_project.project_dir) / "models" / "staging" / "stg_events.sql").read_text()
    assert "env_var(\"SLUICE_PARTITION_DATE\"" in sql and " var(" not in sql


def test_translator_keys_models_by_zone_and_sources_by_schema():
    t = SluiceDbtTranslator()
    model = {"resource_type": "model", "name": "interaction_steps", "fqn": ["sluice", "training", "interaction_steps"]}
    source = {"resource_type": "source", "name": "eligible_events", "source_name": "private", "fqn": ["sluice", "staging", "private", "eligible_events"]}
    assert t.get_asset_key(model) == dg.AssetKey(["training", "interaction_steps"])
    assert t.get_group_name(model) == "training"
    assert t.get_asset_key(source) == dg.AssetKey(["private", "eligible_events"])
    assert t.get_owners(model) == ["team:ml-platform"] and t.get_owners(source) is None


def test_every_asset_has_its_zones_owner_and_each_job_its_description(sluice_home):
    from assets.zones import OWNERS
    from definitions import build_definitions

    defs = build_definitions()

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == OWNERS[node.group_name], key.to_user_string()
    from sluice.quality import gates

    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys if key.name in gates.DESCRIPTIONS}
    assert {"storage_security", "freshness", "line_conservation", "scope_creep", "promotion_conservation",
            "erasure_verified", "leak_scan", "expectations"} <= set(specs)
    for name, spec in specs.items():  # what the UI says a check asserts is what its result says first
        assert spec.description.startswith(gates.DESCRIPTIONS[name]) and spec.blocking == (name != "freshness"), name
    for name in ("daily_publish", "erase_now", "retention"):
        assert defs.resolve_job_def(name).description
    assert defs.resolve_job_def("erase_now").partitions_def is not None
    assert {k.to_user_string() for k in defs.resolve_job_def("erase_now").asset_layer.executable_asset_keys} == {"lifecycle/erasure"}


def test_the_readmes_launchpad_config_is_valid_for_every_job(sluice_home):
    from definitions import build_definitions

    defs = build_definitions()

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("# launchpad:", 1)[1].split("\n", 1)[1].split("```", 1)[0]
    run_config = yaml.safe_load(textwrap.dedent(block))
    for name in ("daily_publish", "erase_now", "retention"):
        resolved = dg.validate_run_config(defs.resolve_job_def(name), run_config)["resources"]
        assert resolved["raw_store"]["config"]["root"] == "s3://capture-bucket/raw"
        assert resolved["private_zone"]["config"] == {"home": str(sluice_home), "directory": "/data/directory.csv",
                                                      "erasures": "", "shards_root": "", "training_group": "",
                                                      "analyst_group": ""}
        assert not {"encryption_key", "pseudonym_key"} & {f for r in resolved.values() for f in r.get("config", {})}  # never in run config


@pytest.mark.parametrize("local_time, zone, partition", [
    ("2026-11-03T03:00", "UTC", "2026-11-02"),
    ("2026-11-03T03:00", "America/Los_Angeles", "2026-11-02"),  # 11:00 UTC: the 2nd has ended
    ("2026-11-03T03:00", "Asia/Tokyo", "2026-11-01"),  # 18:00 UTC on the 2nd: the 2nd has not ended
])
def test_the_schedule_requests_the_last_finished_utc_day(local_time, zone, partition):
    from zoneinfo import ZoneInfo

    from orchestration.schedules import daily_schedule

    at = datetime.fromisoformat(local_time).replace(tzinfo=ZoneInfo(zone))
    request = daily_schedule(dg.build_schedule_context(scheduled_execution_time=at))
    assert request.partition_key == partition and request.run_key == f"scheduled:{partition}"
    assert daily_schedule.cron_schedule == "0 3 * * *" and daily_schedule.execution_timezone == "UTC"


def test_backfills_run_one_day_per_run_for_every_asset_of_the_day(sluice_home):
    """Each day is gated and published on its own: a range backfill is one run per day, every asset alike."""
    from definitions import build_definitions

    defs = build_definitions()

    job = defs.resolve_job_def("daily_publish")
    keys = job.asset_layer.executable_asset_keys
    policies = {defs.resolve_assets_def(key).backfill_policy for key in keys}
    assert policies == {dg.BackfillPolicy.multi_run(1)}
    assert {k.to_user_string() for k in keys} >= {"private/landed_lines", "lifecycle/erasure", "training/interaction_steps",
                                                   "publish/published_day"}


def test_the_dbt_version_dagster_dbt_is_told_is_the_installed_dbts():
    from definitions import DBT_EXECUTABLE, build_definitions

    defs = build_definitions()

    dbt = defs.resources["dbt"]
    printed = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True).stdout
    assert isinstance(dbt, SluiceDbtCliResource) and f"installed: {dbt._cli_version}" in printed


def test_the_private_members_the_dbt_resource_overrides_are_still_upstreams():
    """If dagster-dbt or dbt-duckdb rename or reshape what SluiceDbtCliResource overrides, the overrides would stop
    applying without a sound (dbt --version before every run, a read-only `:memory:` adapter): this fails first."""
    import inspect
    from functools import cached_property

    from dagster_dbt import DbtCliResource
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    assert isinstance(inspect.getattr_static(DbtCliResource, "_cli_version"), cached_property)
    adapter = DbtCliResource._initialize_dbt_core_adapter
    assert list(inspect.signature(adapter).parameters) == ["self", "args"]
    assert 'config_options["access_mode"] = "READ_ONLY"' in inspect.getsource(adapter)  # what the override undoes
    assert {"_ENV", "_LOCK"} <= set(vars(DuckDBConnectionManager))
    private = {name for name in vars(SluiceDbtCliResource) if name.startswith("_") and not name.startswith(("__", "_abc"))}
    assert private == {"_cli_version", "_initialize_dbt_core_adapter"}  # nothing else of dagster-dbt's is overridden

