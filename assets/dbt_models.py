"""Training and analytics candidates, built by dbt inside the private zone (dbt tests are blocking checks)."""


import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_project import dbt_project
from orchestration.partitions import ONE_DAY_PER_RUN, PRIVATE_ZONE_POOL, daily
from orchestration.resources import SluiceResource
from sluice import audit
from sluice.policy.scope import default_manifest

ZONE_OF_FOLDER = {"staging": "private", "training": "training", "analytics": "analytics"}


class SluiceDbtTranslator(DagsterDbtTranslator):
    """Keys and groups by zone: `training/interaction_steps`; sources keep `private/<table>`."""

    @staticmethod
    def zone(props: Mapping[str, Any]) -> str:
        return ZONE_OF_FOLDER[props["fqn"][1]]

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([self.zone(dbt_resource_props), dbt_resource_props["name"]])

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> dg.AssetCheckSpec | None:
        """dbt tests as checks, each with a one-line description a data engineer can read in the UI."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_test(manifest["nodes"][unique_id]))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return self.zone(dbt_resource_props)


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
    }
    if generic.get("name") in descriptions:
        return descriptions[generic["name"]] + " (blocking dbt test)."
    comments = [line.strip("- ").strip() for line in node.get("raw_code", "").splitlines() if line.startswith("--")]
    comment = next((c for c in comments if not c.startswith("depends_on")), "")
    return node.get("description") or comment or node["name"]


def dbt_build_args(partition_key: str, k_anonymity: int) -> list[str]:
    return ["build", "--vars", json.dumps({"date": partition_key, "k_anonymity": k_anonymity})]


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=SluiceDbtTranslator(),
    partitions_def=daily,
    pool=PRIVATE_ZONE_POOL,
    backfill_policy=ONE_DAY_PER_RUN,
)
def sluice_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, sluice: SluiceResource):
    args = dbt_build_args(context.partition_key, default_manifest().k_anonymity)
    with sluice.dbt_environment():
        for event in dbt.cli(args, context=context).stream():
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                audit.append(sluice.layout.audit_log, "block", day=context.partition_key, run_id=context.run.run_id,
                              gate=f"dbt:{event.check_name}")
            yield event
