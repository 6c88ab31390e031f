"""Dagster resources: every setting and secret the environment gives arrives through `EnvVar` (see
`sluice/platform/settings.py`), or, for the two keys in production, from AWS Secrets Manager through dagster-aws;
what it leaves unset takes the embedded default when a run starts. Nothing is read or written at import."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_aws.secretsmanager import SecretsManagerSecretsResource
from dagster_dbt import DbtCliResource
from packaging import version
from pydantic import PrivateAttr, model_validator

from sluice.ingest.shards import use_parquet_key
from sluice.platform.errors import SluiceError
from sluice.platform.home import DEFAULT_HOME, SluiceHome
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
from sluice.quality.expectations import SUITES_DIR, Outcome, load_suite, validate


def load_keys(encryption_key: str, pseudonym_key: str, key_secrets: str) -> Keys:
    """The keys from the environment, or from the two Secrets Manager secrets named in `key_secrets`
    ("<encryption secret>,<pseudonym secret>"); one source only, so that a stale env key cannot win."""
    names = [n.strip() for n in key_secrets.split(",") if n.strip()]
    if not names:
        return Keys(encryption_key, pseudonym_key)
    if len(names) != 2:
        raise SluiceError("configuration", f"{KEY_SECRETS_ENV} names two secrets: encryption, pseudonym")
    if encryption_key or pseudonym_key:
        raise SluiceError("configuration", f"keys come from {KEY_SECRETS_ENV} or from the environment, not both")
    values = SecretsManagerSecretsResource(secrets=names).fetch_secrets()
    missing = [n for n in names if not values.get(n)]
    if missing:
        raise SluiceError("configuration", f"{len(missing)} key secret(s) missing or empty in Secrets Manager")
    return Keys(values[names[0]], values[names[1]])


class SluiceResource(dg.ConfigurableResource):
    """Where the zones live (`SLUICE_HOME`), the raw root (folder or s3://), the directory, the
    optional S3 training export, and the keys (env vars, or Secrets Manager names).

    What is left unset takes the embedded default when a run starts: the home `./.sluice`, the raw root and
    the directory in its `inbox/`, the keys generated once into its `keys/` (0600).
    """

    home: str = ""
    raw_root: str = ""
    directory: str = ""
    export_root: str = ""  # s3://bucket/prefix: the training zone is exported there after publishing
    export_kms_key_id: str = ""  # SSE-KMS key of the exported objects (default: the bucket's)
    allow_sse_s3: str = "false"  # "true" accepts SSE-S3 (AES256) buckets instead of SSE-KMS
    encryption_key: str = ""
    pseudonym_key: str = ""
    key_secrets: str = ""
    shards_root: str = ""  # where device shards meet (s3:// when shards run on several machines)
    erasures: str = ""  # CSV of erasure requests (employee_id, requested_at); withdrawn consent needs none
    _keys: Keys | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _embedded_defaults(self) -> "SluiceResource":
        """The local defaults, once the values are known (a definition's `EnvVar` is resolved when a run starts)."""
        if not any(isinstance(value, dg.EnvVar) for value in (self.home, self.raw_root, self.directory)):
            home = SluiceHome(Path(self.home or DEFAULT_HOME).absolute())
            object.__setattr__(self, "home", str(home.root))
            object.__setattr__(self, "raw_root", self.raw_root or str(home.inbox / "raw"))
            object.__setattr__(self, "directory", self.directory or str(home.inbox / "directory.csv"))
        return self

    @property
    def layout(self) -> SluiceHome:
        return SluiceHome(Path(self.home)).ensure()

    def secret_keys(self) -> Keys:
        """Resolved on first use (Secrets Manager is asked once per process), never logged; on the local default
        (no key given, no secrets named), read from the home's `keys/`, made there the first time."""
        if self._keys is None:
            if not (self.encryption_key or self.pseudonym_key or self.key_secrets):
                self._keys = local_keys(self.layout.keys)
            else:
                self._keys = load_keys(self.encryption_key, self.pseudonym_key, self.key_secrets)
        return self._keys

    def sse_s3_allowed(self) -> bool:
        return self.allow_sse_s3.strip().lower() in ("1", "true", "yes")

    @contextmanager
    def private(self, reads_shards: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The encrypted private zone; with `reads_shards`, able to read the shards' Parquet too."""
        layout = self.layout
        with private_zone(layout.private_db, self.secret_keys().encryption, layout.spill) as con:
            if reads_shards:
                use_parquet_key(con, self.secret_keys().encryption)
                if is_s3(self.shard_root()):
                    attach_s3(con)
            yield con

    def shard_root(self) -> str:
        return self.shards_root or str(self.layout.warehouse / "shards")

    @contextmanager
    def scratch(self, s3_client) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory DuckDB for a shard's private work, able to read and write the shards' Parquet."""
        with scratch_zone(self.layout.spill) as con:
            use_parquet_key(con, self.secret_keys().encryption)
            if is_s3(self.shard_root()):
                attach_s3(con, kms_key_for(s3_client, S3Location.parse(self.shard_root()).bucket))
            yield con

    @contextmanager
    def dbt_environment(self, run_env: dict[str, str]) -> Iterator[None]:
        """Set the dbt profile's environment from this resource's settings, and `run_env`, for one dbt invocation."""
        values = {**dbt_profile_env(self.home, self.secret_keys().encryption), **run_env}
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


class SluiceDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, fitted to this profile: an in-memory DuckDB with the encrypted private zone attached.

    - `dbt --version` is not run before every invocation (3 s here): dbt-core is a pinned dependency of this
      project, so its version is the installed package's.
    - The adapter that reads row counts and column schemas after a build: dagster-dbt makes a DuckDB profile's
      `path` absolute and read-only, which breaks `:memory:`; here the path stays in memory and the private zone
      is attached read-only instead (dbt has exited by then, so its lock is free).
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
    """Great Expectations 1.x suites from `expectations/`, run on a bounded sample of a table."""

    suites_dir: str = str(SUITES_DIR)
    sample_rows: int = 20_000

    def check(self, con: duckdb.DuckDBPyConnection, suite: str, relation: str) -> list[Outcome]:
        """Validate a bounded sample of `relation` (a table or a subquery) against `expectations/<suite>.json`."""
        df = con.execute(f"SELECT * FROM {relation} USING SAMPLE reservoir({int(self.sample_rows)} ROWS) REPEATABLE (7)").df()
        return validate(df, load_suite(suite, Path(self.suites_dir)))


SETTINGS = {"home": HOME_ENV, "raw_root": RAW_ENV, "directory": DIRECTORY_ENV, "export_root": EXPORT_ENV,
            "export_kms_key_id": EXPORT_KMS_KEY_ENV, "allow_sse_s3": ALLOW_SSE_S3_ENV, "encryption_key": ENCRYPTION_KEY_ENV,
            "pseudonym_key": PSEUDONYM_KEY_ENV, "key_secrets": KEY_SECRETS_ENV, "shards_root": SHARDS_ROOT_ENV,
            "erasures": ERASURES_ENV}


def sluice_resource() -> SluiceResource:
    """Each setting the environment gives, as an `EnvVar` (resolved when a run starts, never written into run config);
    the others left to the resource's defaults."""
    return SluiceResource(**{field: dg.EnvVar(name) for field, name in SETTINGS.items() if os.environ.get(name)})
