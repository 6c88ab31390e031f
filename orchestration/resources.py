"""Dagster resources: every setting and secret arrives through `EnvVar` (see `sluice/settings.py`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from sluice.expectations import SUITES_DIR, Outcome, load_suite, validate
from sluice.home import SluiceHome
from sluice.keys import ENCRYPTION_KEY_ENV, PSEUDONYM_KEY_ENV
from sluice.settings import DIRECTORY_ENV, RAW_ENV, dbt_profile_env
from sluice.warehouse import private_zone


class SluiceResource(dg.ConfigurableResource):
    """Where the zones live (`SLUICE_HOME`), the raw root and directory, and the keys."""

    home: str
    raw_root: str
    directory: str
    encryption_key: str
    pseudonym_key: str

    @property
    def layout(self) -> SluiceHome:
        return SluiceHome(Path(self.home)).ensure()

    @contextmanager
    def private(self) -> Iterator[duckdb.DuckDBPyConnection]:
        layout = self.layout
        with private_zone(layout.private_db, self.encryption_key, layout.spill) as con:
            yield con

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """Set the dbt profile's environment from this resource's settings for one dbt invocation."""
        values = dbt_profile_env(self.home, self.encryption_key)
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


class ExpectationsResource(dg.ConfigurableResource):
    """Great Expectations 1.x suites from `expectations/`, run on a bounded sample of a table."""

    suites_dir: str = str(SUITES_DIR)
    sample_rows: int = 20_000

    def check(self, con: duckdb.DuckDBPyConnection, suite: str, relation: str) -> list[Outcome]:
        """Validate a bounded sample of `relation` (a table or a subquery) against `expectations/<suite>.json`."""
        df = con.execute(f"SELECT * FROM {relation} USING SAMPLE reservoir({int(self.sample_rows)} ROWS) REPEATABLE (7)").df()
        return validate(df, load_suite(suite, Path(self.suites_dir)))


def sluice_resource() -> SluiceResource:
    return SluiceResource(
        home=dg.EnvVar("SLUICE_HOME"),
        raw_root=dg.EnvVar(RAW_ENV),
        directory=dg.EnvVar(DIRECTORY_ENV),
        encryption_key=dg.EnvVar(ENCRYPTION_KEY_ENV),
        pseudonym_key=dg.EnvVar(PSEUDONYM_KEY_ENV),
    )
