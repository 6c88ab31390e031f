"""The environment of the embedded default: `$SLUICE_HOME` and what follows from it.

Dagster resources read every setting the environment gives through `EnvVar`, and take the local
defaults for the rest when a run starts. `configure`, which the `sluice` command runs before anything
else (never an import), fills in the same defaults in the process environment (raw root and directory
in `$SLUICE_HOME/inbox/`, keys in `$SLUICE_HOME/keys/`, the Dagster instance in `$SLUICE_HOME/dagster`
with telemetry off and one writer of the private zone at a time) without overriding what is set, and puts every
file of the home back to the modes of its zone (`sluice/platform/zone_access.py`; audited when it changed any).
"""

from __future__ import annotations

import os
from pathlib import Path

from sluice.lifecycle import audit
from sluice.platform.home import SluiceHome
from sluice.platform.keys import ENCRYPTION_KEY_ENV, KEY_SECRETS_ENV, PSEUDONYM_KEY_ENV, ensure_keys
from sluice.platform.warehouse import DBT_MEMORY_LIMIT_ENV, dbt_memory_limit, httpfs_extension_path
from sluice.platform.zone_access import secure_home
from sluice.policy.scope import default_manifest

HOME_ENV = "SLUICE_HOME"
RAW_ENV = "SLUICE_RAW"
DIRECTORY_ENV = "SLUICE_DIRECTORY"
EXPORT_ENV = "SLUICE_EXPORT"  # s3://bucket/prefix for the training export (optional)
EXPORT_KMS_KEY_ENV = "SLUICE_EXPORT_KMS_KEY_ID"
ALLOW_SSE_S3_ENV = "SLUICE_ALLOW_SSE_S3"
SHARDS_ENV = "SLUICE_SHARDS"  # device shards per day (1: no sharding); read when the definitions load
SHARDS_ROOT_ENV = "SLUICE_SHARDS_ROOT"  # where shards meet (default $SLUICE_HOME/warehouse/shards)
ERASURES_ENV = "SLUICE_ERASURES"  # CSV of erasure requests: employee_id,requested_at (optional)
OPTIONAL_ENV = (EXPORT_ENV, EXPORT_KMS_KEY_ENV, ALLOW_SSE_S3_ENV, KEY_SECRETS_ENV, SHARDS_ROOT_ENV, ERASURES_ENV)
DAGSTER_YAML = """\
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 1  # runs launched from the UI or schedule queue behind each other
  pools:
    default_limit: 1  # one writer of the private zone at a time
run_monitoring:  # runs launched by the daemon (UI, schedule) whose process died are failed, their slots freed
  enabled: true
  free_slots_after_run_end_seconds: 60
"""
DBT_KEY_ENV = "DBT_ENV_SECRET_SLUICE_ENCRYPTION_KEY"  # dbt scrubs DBT_ENV_SECRET_* values from its output


POLICY_K_ENV = "SLUICE_POLICY_K_ANONYMITY"  # the scope manifest's k, as dbt's k-anonymity test reads it


def dbt_profile_env(home: str, encryption_key: str) -> dict[str, str]:
    """What dbt reads besides the day: the shared home, the httpfs binary, the key and dbt's DuckDB memory limit
    (`dbt_project/profiles.yml`), and the manifest's k for its k-anonymity test, by a path of its own: the model is
    built with the k the run passes it (`SLUICE_K_ANONYMITY`), so a model suppressing with a wrong k is caught."""
    return {HOME_ENV: home, "SLUICE_HTTPFS_EXTENSION": httpfs_extension_path(), DBT_KEY_ENV: encryption_key,
            DBT_MEMORY_LIMIT_ENV: dbt_memory_limit(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            POLICY_K_ENV: str(default_manifest().k_anonymity)}


def configure(home: Path | None = None, raw: str | None = None, directory: str | None = None,
              export: str | None = None) -> SluiceHome:
    if home is not None:
        os.environ["SLUICE_HOME"] = str(Path(home).absolute())
    layout = SluiceHome.from_env().ensure()
    os.environ["SLUICE_HOME"] = str(layout.root)
    if raw:
        os.environ[RAW_ENV] = raw
    if directory:
        os.environ[DIRECTORY_ENV] = str(Path(directory).absolute())
    if export:
        os.environ[EXPORT_ENV] = export
    for name in OPTIONAL_ENV:
        os.environ.setdefault(name, "")
    os.environ.setdefault(RAW_ENV, str(layout.inbox / "raw"))
    os.environ.setdefault(DIRECTORY_ENV, str(layout.inbox / "directory.csv"))
    os.environ.setdefault("DAGSTER_HOME", str(layout.dagster_home))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    dagster_home = Path(os.environ["DAGSTER_HOME"])
    dagster_home.mkdir(parents=True, exist_ok=True)
    if not (dagster_home / "dagster.yaml").exists():
        (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)
    if os.environ[KEY_SECRETS_ENV]:  # keys from Secrets Manager: none generated, written or exported
        for name in (ENCRYPTION_KEY_ENV, PSEUDONYM_KEY_ENV):
            os.environ.setdefault(name, "")
    else:
        ensure_keys(layout.keys)
        os.environ.update(dbt_profile_env(str(layout.root), os.environ[ENCRYPTION_KEY_ENV]))
    repaired = secure_home(layout)  # a home of an older version, or opened up by hand, back to access.yaml
    if repaired:
        audit.append(layout.audit_log, "access", repaired=repaired)
    return layout
