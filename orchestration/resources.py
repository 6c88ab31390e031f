"""Dagster resources, one per system the pipeline touches:

- `KeysResource`: the private zone's encryption key and the pseudonym (HMAC) key, from the environment, from two
  AWS Secrets Manager secrets (dagster-aws's `SecretsManagerSecretsResource`, nested), or, on the local default,
  made once in the home's `keys/`;
- `PrivateZoneResource`: the home (`$SLUICE_HOME`, the zones' files) and its encrypted private zone (DuckDB, spill
  encrypted), the directory and erasure requests it loads, where device shards meet, and dbt's environment;
- `RawStoreResource`: where capture batches land, a local folder or an s3:// prefix (through `S3Resource`);
- `ExportResource`: the optional S3 copy of the training zone;
- `BucketPolicyResource`: what a bucket must be before anything is read from or written to it;
- `SluiceDbtCliResource` (dagster-dbt's, fitted to the profile) and `ExpectationsResource` (Great Expectations).

Every setting the environment gives arrives through `EnvVar` (`sluice/platform/settings.py`), built by `resources()`;
what it leaves unset takes the local default when a run starts. Nothing is read or written at import.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_aws.s3 import S3Resource
from dagster_aws.secretsmanager import SecretsManagerSecretsResource
from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import PrivateAttr, model_validator

from sluice.ingest.raw_store import RawStore, raw_store
from sluice.ingest.shards import use_parquet_key
from sluice.platform import zone_access
from sluice.platform.bucket_security import storage_findings
from sluice.platform.errors import SluiceError
from sluice.platform.home import DEFAULT_HOME, GROUP_ENV, SluiceHome
from sluice.platform.keys import ENCRYPTION_KEY_ENV, KEY_SECRETS_ENV, PSEUDONYM_KEY_ENV, Keys, local_keys
from sluice.platform.s3 import S3Location, attach_s3, is_s3, kms_key_for
from sluice.platform.settings import (
    ALLOW_SSE_S3_ENV,
    DIRECTORY_ENV,
    ERASURES_ENV,
    EXPORT_ENV,
    EXPORT_KMS_KEY_ENV,
    HOME_ENV,
    RAW_ENV,
    SHARDS_ROOT_ENV,
    dbt_profile_env,
)
from sluice.platform.warehouse import private_zone, scratch_zone
from sluice.quality.expectations import SUITES_DIR, Outcome, judge


class _InHome(dg.ConfigurableResource):
    """A resource whose defaults live in the home: `$SLUICE_HOME`, default `./.sluice`."""

    home: str = ""

    @model_validator(mode="after")
    def _local_defaults(self) -> "_InHome":
        """Once the values are known (a definition's `EnvVar` is resolved when a run starts), what is unset takes
        its default in the home."""
        if not any(isinstance(value, dg.EnvVar) for value in self.__dict__.values()):
            home = SluiceHome(Path(self.home or DEFAULT_HOME).absolute())
            object.__setattr__(self, "home", str(home.root))
            for field, value in self._defaults(home).items():
                if not getattr(self, field):
                    object.__setattr__(self, field, value)
        return self

    def _defaults(self, home: SluiceHome) -> dict[str, str]:
        return {}

    @property
    def layout(self) -> SluiceHome:
        return SluiceHome(Path(self.home)).ensure()


class KeysResource(_InHome):
    """The private zone's encryption key and the pseudonym key: given by the environment, or read from the two
    Secrets Manager secrets the nested resource names (encryption, pseudonym), or on the local default (neither)
    made once in the home's `keys/` (0600). One source only, so that a stale env key cannot win; resolved on first
    use (Secrets Manager is asked once per process) and never logged."""

    encryption_key: str = ""
    pseudonym_key: str = ""
    secrets_manager: SecretsManagerSecretsResource
    _keys: Keys | None = PrivateAttr(default=None)

    def get(self) -> Keys:
        if self._keys is None:
            self._keys = self._resolve()
        return self._keys

    def _resolve(self) -> Keys:
        names = list(self.secrets_manager.secrets)
        if not names:
            if not (self.encryption_key or self.pseudonym_key):
                return local_keys(self.layout.keys)
            return Keys(self.encryption_key, self.pseudonym_key)
        if len(names) != 2:
            raise SluiceError("configuration", f"{KEY_SECRETS_ENV} names two secrets: encryption, pseudonym")
        if self.encryption_key or self.pseudonym_key:
            raise SluiceError("configuration", f"keys come from {KEY_SECRETS_ENV} or from the environment, not both")
        values = self.secrets_manager.fetch_secrets()
        missing = [n for n in names if not values.get(n)]
        if missing:
            raise SluiceError("configuration", f"{len(missing)} key secret(s) missing or empty in Secrets Manager")
        return Keys(values[names[0]], values[names[1]])


class PrivateZoneResource(_InHome):
    """The home's zones, the encrypted private zone first: its DuckDB (spill encrypted), the directory (default the
    home's `inbox/directory.csv`) and erasure requests it loads, where device shards meet (default the home's
    `warehouse/shards`; s3:// when shards run on several machines), and dbt's environment for it."""

    directory: str = ""
    erasures: str = ""  # CSV of erasure requests (employee_id, requested_at); withdrawn consent needs none
    shards_root: str = ""
    training_group: str = ""  # the local group of model-training jobs: reads the training zone (access.yaml)
    analyst_group: str = ""  # the local group of analysts: reads analytics.duckdb
    keyring: KeysResource
    s3: S3Resource  # the shards' bucket, when they meet on S3

    def _defaults(self, home: SluiceHome) -> dict[str, str]:
        return {"directory": str(home.inbox / "directory.csv"), "shards_root": str(home.warehouse / "shards")}

    @property
    def layout(self) -> SluiceHome:
        groups = (("training", self.training_group), ("analyst", self.analyst_group))
        return SluiceHome(Path(self.home), tuple((role, name) for role, name in groups if name)).ensure()

    def access_findings(self, raw_root: str) -> dict[str, list[str]]:
        """What the real file modes of the home, and of a local capture inbox outside it, break of `access.yaml`
        (`zone:rule`), for the storage_security gate."""
        return zone_access.access_findings(self.layout, raw_root)

    @contextmanager
    def connect(self, reads_shards: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The encrypted private zone; with `reads_shards`, able to read the shards' Parquet too."""
        layout, key = self.layout, self.keyring.get().encryption
        with private_zone(layout.private_db, key, layout.spill) as con:
            if reads_shards:
                use_parquet_key(con, key)
                if is_s3(self.shards_root):
                    attach_s3(con)
            yield con

    def shard_store(self) -> RawStore:
        """The shards' files, laid out by day as raw batches are."""
        return raw_store(self.shards_root, self.s3.get_client() if is_s3(self.shards_root) else None)

    @contextmanager
    def scratch(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory DuckDB for a shard's private work, able to read and write the shards' Parquet."""
        with scratch_zone(self.layout.spill) as con:
            use_parquet_key(con, self.keyring.get().encryption)
            if is_s3(self.shards_root):
                attach_s3(con, kms_key_for(self.s3.get_client(), S3Location.parse(self.shards_root).bucket))
            yield con

    @contextmanager
    def dbt_environment(self, run_env: dict[str, str]) -> Iterator[None]:
        """Set the dbt profile's environment from this resource's settings, and `run_env`, for one dbt invocation."""
        values = {**dbt_profile_env(self.home, self.keyring.get().encryption), **run_env}
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class RawStoreResource(_InHome):
    """Where the capture agents' batches land: a local folder (default the home's `inbox/raw`) or an s3:// prefix,
    read through dagster-aws's `S3Resource`."""

    root: str = ""
    s3: S3Resource

    def _defaults(self, home: SluiceHome) -> dict[str, str]:
        return {"root": str(home.inbox / "raw")}

    @property
    def on_s3(self) -> bool:
        return is_s3(self.root)

    def store(self) -> RawStore:
        return raw_store(self.root, self.s3.get_client() if self.on_s3 else None)


class BucketPolicyResource(dg.ConfigurableResource):
    """What a bucket must be before anything is read from or written to it: SSE-KMS by default (SSE-S3 too with
    `allow_sse_s3`), every kind of public access blocked, nothing granted to everyone."""

    allow_sse_s3: str = "false"
    s3: S3Resource

    @property
    def sse_s3_allowed(self) -> bool:
        return self.allow_sse_s3.strip().lower() in ("1", "true", "yes")

    def findings(self, locations: dict[str, str]) -> dict[str, list[str]]:
        """Per role (raw, export, shards) the rules its bucket breaks; a local folder breaks none."""
        client = self.s3.get_client() if any(is_s3(uri) for uri in locations.values() if uri) else None
        return storage_findings(locations, client, self.sse_s3_allowed)


class ExportResource(dg.ConfigurableResource):
    """The optional copy of the training zone in S3 (`root`: s3://bucket/prefix), each object under SSE-KMS (the key
    `kms_key_id`, default the bucket's)."""

    root: str = ""
    kms_key_id: str = ""
    s3: S3Resource
    policy: BucketPolicyResource

    @property
    def location(self) -> S3Location | None:
        return S3Location.parse(self.root) if self.root else None


class SluiceDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, fitted to this profile: an in-memory DuckDB with the encrypted private zone attached.

    - `dbt --version` is not run before every invocation (3 s here): dbt-core is a pinned dependency of this
      project, so its version is the installed package's.
    - The adapter that reads row counts and column schemas after a build: dagster-dbt makes a DuckDB profile's
      `path` absolute and read-only, which breaks `:memory:`; here the path stays in memory and the private zone
      is attached read-only instead (dbt has exited by then, so its lock is free).

    Both are private members of dagster-dbt (it has no public hook for either: the version check and the adapter's
    profile are fixed in `DbtCliResource`), and `close_adapter` reads dbt-duckdb's connection manager; they are
    contained here, and `tests/test_definitions.py` fails when upstream renames or reshapes any of them.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        adapter = super()._initialize_dbt_core_adapter(args)
        credentials = adapter.config.credentials  # read when the adapter first connects, after this
        credentials.path = ":memory:"
        credentials.config_options.pop("access_mode", None)
        for attachment in credentials.attach or []:
            attachment.read_only = True
        return adapter

    @staticmethod
    def close_adapter() -> None:
        """Close the DuckDB the adapter opened in this process: it holds the private zone attached, which the
        next step of the run attaches again (DuckDB refuses a file attached twice in one process)."""
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        with DuckDBConnectionManager._LOCK:
            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()
                DuckDBConnectionManager._ENV = None


class ExpectationsResource(dg.ConfigurableResource):
    """Great Expectations 1.x suites from `expectations/`: a day's figures against the recent published days."""

    suites_dir: str = str(SUITES_DIR)

    def check(self, con: duckdb.DuckDBPyConnection, suite: str, relation: str, day: date, published: list[date]) -> list[Outcome]:
        """Judge day D of `relation` (a table or a subquery of that day's rows) by `expectations/<suite>.json`."""
        return judge(con, suite, relation, day, published, Path(self.suites_dir))


GROUP_SETTINGS = {f"{role}_group": env for role, env in GROUP_ENV.items()}


def _from_env(**settings: str) -> dict[str, Any]:
    """Each setting the environment gives, as an `EnvVar` (resolved when a run starts, never written into run config);
    the others are left to the resource's defaults."""
    return {field: dg.EnvVar(name) for field, name in settings.items() if os.environ.get(name)}


def keys_resource(resolved: bool = False) -> KeysResource:
    """The keys as the environment says; `resolved`, with the values themselves (outside a run: the `sluice` command)."""
    names = [n.strip() for n in os.environ.get(KEY_SECRETS_ENV, "").split(",") if n.strip()]
    settings = _from_env(home=HOME_ENV, encryption_key=ENCRYPTION_KEY_ENV, pseudonym_key=PSEUDONYM_KEY_ENV)
    if resolved:
        settings = {field: value.get_value() for field, value in settings.items()}
    return KeysResource(**settings, secrets_manager=SecretsManagerSecretsResource(secrets=names))


def resources() -> dict[str, Any]:
    """The code location's resources, by system, under the environment of the moment."""
    s3 = S3Resource()  # boto3's own configuration: AWS_* env vars, AWS_ENDPOINT_URL included
    policy = BucketPolicyResource(**_from_env(allow_sse_s3=ALLOW_SSE_S3_ENV), s3=s3)
    return {
        "private_zone": PrivateZoneResource(**_from_env(home=HOME_ENV, directory=DIRECTORY_ENV, erasures=ERASURES_ENV,
                                                        shards_root=SHARDS_ROOT_ENV, **GROUP_SETTINGS),
                                            keyring=keys_resource(), s3=s3),
        "raw_store": RawStoreResource(**_from_env(home=HOME_ENV, root=RAW_ENV), s3=s3),
        "export": ExportResource(**_from_env(root=EXPORT_ENV, kms_key_id=EXPORT_KMS_KEY_ENV), s3=s3, policy=policy),
        "buckets": policy,
        "s3": s3,
        "expectations": ExpectationsResource(),
    }
