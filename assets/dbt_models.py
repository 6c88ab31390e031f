"""Training and analytics candidates, built by dbt inside the private zone (dbt tests are blocking checks)."""


import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, dbt_assets

from assets import checks
from assets.zones import zone
from orchestration.dbt_project import dbt_project
from orchestration.partitions import ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, daily
from orchestration.resources import PrivateZoneResource, SluiceDbtCliResource
from sluice.policy.scope import default_manifest

PARTITION_ENV, K_ANONYMITY_ENV = "SLUICE_PARTITION_DATE", "SLUICE_K_ANONYMITY"  # read by dbt_project/
PARTIAL_PARSE = "partial_parse.msgpack"
ZONE_OF_FOLDER = {"staging": "private", "training": "training", "analytics": "analytics"}


class SluiceDbtTranslator(DagsterDbtTranslator):
    """Keys and groups by zone: `training/interaction_steps`; sources keep `private/<table>`."""

    @staticmethod
    def zone_of(props: Mapping[str, Any]) -> str:
        return ZONE_OF_FOLDER[props["fqn"][1]]

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([self.zone_of(dbt_resource_props), dbt_resource_props["name"]])

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        """dbt tests as checks, each with a one-line description a data engineer can read in the UI."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_test(manifest["nodes"][unique_id]))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return self.zone_of(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return zone(self.zone_of(dbt_resource_props))["owners"]


def describe_test(node: Mapping[str, Any]) -> str:
    """What a dbt test asserts: from a generic test's kind and arguments, or a singular test's first comment."""
    generic = node.get("test_metadata") or {}
    kwargs = generic.get("kwargs", {})
    column = kwargs.get("column_name", "the row")
    descriptions = {
        "not_null": f"{column} is never empty",
        "unique": f"{column} is unique",
        "accepted_values": f"{column} takes only its allowed values",
        "unique_within": f"{column} is unique within each {kwargs.get('group_by')}",
        "relationships": f"{column} refers to an existing row",
        "between": f"{column} lies within [{kwargs.get('min_value', '-inf')}, {kwargs.get('max_value', 'inf')}]",
    }
    if generic.get("name") in descriptions:
        return descriptions[generic["name"]] + " (blocking dbt test)."
    comments = [line.strip("- ").strip() for line in node.get("raw_code", "").splitlines() if line.startswith("--")]
    comment = next((c for c in comments if not c.startswith("depends_on")), "")
    return node.get("description") or comment or node["name"]


def dbt_run_env(partition_key: str, k_anonymity: int, target: Path) -> dict[str, str]:
    """The day and k reach dbt as environment variables, not `--vars`: new vars make dbt parse the whole
    project again (seconds, every partition); a changed variable re-parses only the files that read it.
    `DBT_TARGET_PATH` keeps dbt's folders, and the partial parse the next run starts from, in the home."""
    return {PARTITION_ENV: partition_key, K_ANONYMITY_ENV: str(k_anonymity), "DBT_TARGET_PATH": str(target)}


@contextmanager
def dbt_invocation(private_zone: PrivateZoneResource, dbt: DbtCliResource, partition_key: str, args: list[str],
                   logs: Path, **cli_kwargs: Any) -> Iterator[DbtCliInvocation]:
    """`dbt <args>` for one day, in the home's target folder. Afterwards its partial parse is kept for the
    next run (dagster-dbt copies it from there into the run's own folder); the run's folder (run_results.json,
    dbt.log) is kept for whoever looks into it, and those of earlier runs are removed. dbt's log is copied
    into `logs` too (the run's logs folder), however dbt ended."""
    target = private_zone.layout.dbt_target
    target.mkdir(parents=True, exist_ok=True)
    invocation = None
    try:
        with private_zone.dbt_environment(dbt_run_env(partition_key, default_manifest().k_anonymity, target)):
            invocation = dbt.cli(args, **cli_kwargs)
            yield invocation
    finally:
        SluiceDbtCliResource.close_adapter()
        if invocation is not None:
            if (log := invocation.target_path / "dbt.log").is_file():
                with suppress(OSError):  # a copy of a log never fails the run (a full disk)
                    logs.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(log, logs / "dbt.log")
            parsed = invocation.target_path / PARTIAL_PARSE
            if parsed.is_file():  # copied then renamed: a crash never leaves half a file for the next run
                shutil.copyfile(parsed, target / f".{PARTIAL_PARSE}")
                os.replace(target / f".{PARTIAL_PARSE}", target / PARTIAL_PARSE)
            for folder in target.iterdir():
                if folder.is_dir() and folder != invocation.target_path:
                    shutil.rmtree(folder, ignore_errors=True)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SluiceDbtTranslator(),
    partitions_def=daily,
    pool=PRIVATE_ZONE_POOL,
    backfill_policy=ONE_DAY_PER_RUN,
)
def sluice_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, private_zone: PrivateZoneResource):
    """Each model's materialization carries its row count and its column schema as built (read after dbt
    exits: DuckDB has one writer per file), and its column lineage."""
    with dbt_invocation(private_zone, dbt, context.partition_key, ["build"],
                        private_zone.layout.run_logs(context.run_id), context=context) as invocation:
        for event in invocation.stream().fetch_row_counts().fetch_column_metadata():
            if isinstance(event, dg.AssetCheckResult):  # dbt's tests settle like every gate
                event = checks.settle(event, private_zone.layout, context.partition_key, context.run_id)
            yield event
