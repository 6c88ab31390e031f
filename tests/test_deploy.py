"""The Kubernetes deployment config (deploy/) loads: the instance YAML against Dagster's own
schemas and classes, and the code location under the Helm values' environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config
from dagster._serdes.config_class import class_from_code_pointer

from sluice.platform import keys, settings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
CONFIGURED_CLASSES = ("run_launcher", "run_coordinator", "compute_logs")


def _values() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())


def _config_map() -> dict[str, str]:
    (manifest,) = [m for m in _values()["extraManifests"] if m["kind"] == "ConfigMap"]
    return manifest["data"]


def test_instance_yaml_validates_against_dagster_and_its_classes(monkeypatch):
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "SLUICE_LOGS_BUCKET"):
        monkeypatch.setenv(name, "from-the-environment")
    config, custom_class = dagster_instance_config(str(DEPLOY))
    assert custom_class is None
    for section in CONFIGURED_CLASSES:
        klass = class_from_code_pointer(config[section]["module"], config[section]["class"])
        result = validate_config(klass.config_type(), config[section].get("config") or {})
        assert result.success, f"{section}: {[e.message for e in result.errors]}"
    assert config["run_launcher"]["class"] == "K8sRunLauncher"
    assert config["concurrency"]["pools"]["default_limit"] == 1  # the private_zone pool: one writer
    assert "postgres" in config["storage"]


def test_helm_values_mirror_the_instance_and_name_only_settings_the_code_reads():
    values, instance = _values(), yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert values["concurrency"]["pools"]["defaultLimit"] == instance["concurrency"]["pools"]["default_limit"]
    assert values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] == \
        instance["concurrency"]["runs"]["max_concurrent_runs"]
    launcher = values["runLauncher"]["config"]["k8sRunLauncher"]
    assert [v["name"] for v in launcher["volumes"]] == [v["name"] for v in instance["run_launcher"]["config"]["volumes"]]
    assert launcher["envConfigMaps"][0]["name"] in instance["run_launcher"]["config"]["env_config_maps"]

    known = {getattr(settings, n) for n in dir(settings) if n.endswith("_ENV") and isinstance(getattr(settings, n), str)}
    known |= {keys.KEY_SECRETS_ENV, "SLUICE_HOME", "AWS_DEFAULT_REGION", "DBT_SEND_ANONYMOUS_USAGE_STATS"}
    data = _config_map()
    assert set(data) <= known, f"settings the code does not read: {sorted(set(data) - known)}"
    assert {"SLUICE_HOME", settings.RAW_ENV, settings.DIRECTORY_ENV, keys.KEY_SECRETS_ENV} <= set(data)
    assert keys.ENCRYPTION_KEY_ENV not in data and keys.PSEUDONYM_KEY_ENV not in data  # keys only from Secrets Manager


def test_the_code_location_loads_under_the_deployment_environment(tmp_path):
    deployment = _values()["dagster-user-deployments"]["deployments"][0]
    module = deployment["dagsterApiGrpcArgs"][deployment["dagsterApiGrpcArgs"].index("-m") + 1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_HOME"))}
    env.update(_config_map())
    env.update(SLUICE_HOME=str(tmp_path / "home"), SLUICE_DIRECTORY=str(tmp_path / "directory.csv"))
    script = (
        f"from {module} import build_definitions; defs = build_definitions(); "
        "jobs = sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith('__')); "
        "print(jobs, [s.name for s in defs.sensors])"
    )
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "['daily_publish', 'day_shards', 'erase_now', 'retention']" in done.stdout
    assert "'s3_capture_sensor'" in done.stdout and "'shards_done_sensor'" in done.stdout
    assert not (tmp_path / "home").exists()  # loading writes nothing (and in Secrets Manager mode no key is ever made)
