"""The code location as plain Dagster loads it: `dagster dev -w workspace.yaml` from an activated venv, no wrapper,
no Sluice setting in the environment; and the resource's defaults, applied when a run starts."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster_dev import graphql, serving

from definitions import build_definitions
from orchestration.resources import ExportResource, PrivateZoneResource, RawStoreResource, resources

ROOT = Path(__file__).resolve().parent.parent
QUERY = "{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name } } } } }"


@pytest.mark.parametrize("command", [["dagster", "dev", "-w", "workspace.yaml"], ["dagster", "dev"]], ids=["workspace", "pyproject"])
def test_plain_dagster_dev_lists_every_asset_and_check_and_loading_writes_nothing(tmp_path, command):
    graph = build_definitions().resolve_asset_graph()
    expected_assets = {key.to_user_string() for key in graph.get_all_asset_keys()}
    expected_checks = {f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys}
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    home = tmp_path / "home"  # where the local default would put the zones: loading must not make it
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), "DAGSTER_HOME": str(dagster_home),
           "SLUICE_HOME": str(home), "VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}
    with serving([*command, "-h", "127.0.0.1"], env, ROOT) as port:
        nodes = graphql(port, QUERY)["assetNodes"]
    assets = {"/".join(n["assetKey"]["path"]) for n in nodes}
    checks = {f"{'/'.join(n['assetKey']['path'])}:{c['name']}" for n in nodes for c in n["assetChecksOrError"]["checks"]}
    assert len(expected_assets) >= 11 and len(expected_checks) >= 30
    assert (assets, checks) == (expected_assets, expected_checks)
    assert not home.exists()


def test_unset_settings_take_the_embedded_defaults_when_a_run_starts(tmp_path, monkeypatch):
    for name in ("SLUICE_HOME", "SLUICE_RAW", "SLUICE_DIRECTORY", "SLUICE_ENCRYPTION_KEY", "SLUICE_PSEUDONYM_KEY",
                 "SLUICE_KEY_SECRETS", "SLUICE_EXPORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLUICE_EXPORT", "s3://export-bucket/sluice")
    configured = resources()
    assert isinstance(configured["export"].root, dg.EnvVar)  # what the environment sets is an EnvVar
    assert not isinstance(configured["private_zone"].home, dg.EnvVar)
    assert not (tmp_path / ".sluice").exists()

    @dg.asset
    def probe(private_zone: PrivateZoneResource, raw_store: RawStoreResource, export: ExportResource) -> dg.MaterializeResult:
        keys = private_zone.keyring.get()
        return dg.MaterializeResult(metadata={"home": private_zone.home, "raw": raw_store.root, "directory": private_zone.directory,
                                              "export": export.root, "keys": len(keys.encryption + keys.pseudonym)})

    result = dg.materialize([probe], resources=configured, instance=dg.DagsterInstance.ephemeral())
    metadata = {k: v.value for k, v in result.asset_materializations_for_node("probe")[0].metadata.items()}
    home = tmp_path / ".sluice"
    assert metadata == {"home": str(home), "raw": str(home / "inbox" / "raw"), "directory": str(home / "inbox" / "directory.csv"),
                        "export": "s3://export-bucket/sluice", "keys": 128}
    key_files = sorted((home / "keys").iterdir())
    assert [p.name for p in key_files] == ["encryption.key", "pseudonym.key"]
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in key_files)
