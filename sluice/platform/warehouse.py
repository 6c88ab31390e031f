"""DuckDB connections to the zones.

The private zone is one DuckDB file encrypted with DuckDB database encryption. The
secure (OpenSSL) cipher comes from the httpfs extension shipped in the
`duckdb-extension-httpfs` package, loaded from its path (never downloaded, never the
`force_mbedtls_unsafe` flag). Spill files are encrypted too (`temp_file_encryption`).
"""

from __future__ import annotations

import glob
import os
import re
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Iterator

import duckdb

from sluice.platform.errors import SluiceError, duckdb_error

PRIVATE = "private"
MEMORY_LIMIT_ENV = "SLUICE_MEMORY_LIMIT"
DBT_MEMORY_LIMIT_ENV = "SLUICE_DBT_MEMORY_LIMIT"  # set by the run for dbt's profile, from MEMORY_LIMIT_ENV


def duckdb_memory_limit() -> str:
    """DuckDB's `memory_limit` for every connection of the pipeline and for dbt's (`dbt_profile_env`).
    Past it DuckDB spills, encrypted, to the spill directory; what a process holds beyond it is
    Python's (Dagster, dbt), about 0.5 GiB."""
    return os.environ.get(MEMORY_LIMIT_ENV) or "1GB"


BYTES_PER_UNIT = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
                  "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # DuckDB's units


def dbt_memory_limit() -> str:
    """dbt's DuckDB `memory_limit`: three quarters of the run's. The run process stays resident (~0.6 GiB
    of Python) while dbt runs, so the tree then holds both; at 20M events that summed to 2.01 GiB with
    the same limit for both. A limit DuckDB would read but this does not is passed on as it is."""
    limit = duckdb_memory_limit()
    found = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", limit)
    if not found or found.group(2).lower() not in BYTES_PER_UNIT:
        return limit
    return f"{int(float(found.group(1)) * BYTES_PER_UNIT[found.group(2).lower()] * 3 / 4) // 2**20}MiB"


def httpfs_extension_path() -> str:
    spec = find_spec("duckdb_extension_httpfs")
    if spec is None or spec.origin is None:
        raise SluiceError("environment", "duckdb-extension-httpfs is not installed")
    pattern = os.path.join(os.path.dirname(spec.origin), "extensions", "*", "httpfs.duckdb_extension")
    found = sorted(glob.glob(pattern))
    if not found:
        raise SluiceError("environment", "duckdb-extension-httpfs ships no httpfs binary")
    return found[-1]


def _connect(spill_dir: Path, memory_limit: str | None, threads: int) -> duckdb.DuckDBPyConnection:
    spill_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "temp_file_encryption": "true",
            "temp_directory": str(spill_dir),
            "extension_directory": str(spill_dir / "extensions"),
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "memory_limit": memory_limit or duckdb_memory_limit(),
            "threads": threads,
            "preserve_insertion_order": "false",
        }
    )
    con.execute(f"LOAD '{httpfs_extension_path()}'")
    return con


@contextmanager
def private_zone(
    db_path: Path,
    key: str,
    spill_dir: Path,
    *,
    memory_limit: str | None = None,
    threads: int = 2,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection with the encrypted private zone attached as `private` (and in use).

    Closed on exit, so that dbt (another process) can take the file's lock. A DuckDB error
    inside becomes a `SluiceError` naming only its class: DuckDB messages echo values.
    """
    if not key:
        raise SluiceError("configuration", "the private-zone encryption key is empty")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect(spill_dir, memory_limit, threads)
    try:
        con.execute(f"ATTACH '{db_path}' AS {PRIVATE} (ENCRYPTION_KEY ?)", [key])
    except duckdb.Error as exc:  # wrong key, corrupt file: DuckDB's text may name the path only
        con.close()
        raise SluiceError("private_zone_unreadable", type(exc).__name__) from None
    with _guarded(con):
        con.execute(f"USE {PRIVATE}")
        yield con
        con.execute("CHECKPOINT")


@contextmanager
def scratch_zone(spill_dir: Path, *, memory_limit: str | None = None, threads: int = 2) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection for private data that never becomes a DuckDB file (a shard's
    work): spills encrypted, errors reported like the private zone's."""
    with _guarded(_connect(spill_dir, memory_limit, threads)) as con:
        yield con


@contextmanager
def _guarded(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        yield con
    except duckdb.Error as exc:  # its text can quote the data it choked on (rule 9)
        raise duckdb_error(str(exc), type(exc).__name__) from None
    finally:
        con.close()
