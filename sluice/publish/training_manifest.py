"""`manifest.json` beside each training table's Parquet of a day, for the trainers that load it.

One per `training/<table>/date=D/v=<run>/`: the table, day and run, the Arrow-readable schema, the row count,
each file's name, size, rows and sha256, and the scope-manifest, policy and code versions it was made under.
A loader checks the hashes against the files before it trusts them (`docs/training-export.md`). The day's
commit marker names this file; a folder no marker names is not published.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from sluice.platform.versions import code_version, policy_version
from sluice.policy.scope import default_manifest

NAME = "manifest.json"
FORMAT_VERSION = 1


def write_manifest(con: duckdb.DuckDBPyConnection, folder: Path, table: str, day: date, run_id: str,
                   files: list[dict]) -> Path:
    """`files`: name, sha256 and rows of each Parquet file in `folder`; returns the manifest's path."""
    first = folder / files[0]["name"]
    schema = [{"name": name, "type": sql_type} for name, sql_type, *_ in
              con.execute(f"DESCRIBE SELECT * FROM read_parquet('{first}', hive_partitioning = false)").fetchall()]
    body = {
        "format_version": FORMAT_VERSION,
        "table": table,
        "date": day.isoformat(),
        "run_id": run_id,
        "format": "parquet",
        "rows": sum(f["rows"] for f in files),
        "schema": schema,
        "files": [{**f, "bytes": (folder / f["name"]).stat().st_size} for f in files],
        "scope_manifest_version": default_manifest().manifest_version,
        "policy_version": policy_version(),
        "code_version": code_version(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    path = folder / NAME
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path
