"""Small readers the tests use to look at what the pipeline produced, independently of it."""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import duckdb

from sluice.platform.home import SluiceHome
from sluice.platform.keys import ENCRYPTION_KEY_ENV
from sluice.platform.warehouse import private_zone
from sluice.publish.figures import day_counts

# Simulator label classes whose planted values redaction must remove from free text.
REDACTED_CLASSES = ("email", "phone", "ssn", "card", "iban", "ip", "secret", "person", "url_token")


def raw_lines(raw_root: Path, day: str, without: frozenset[str] = frozenset()) -> int:
    """Lines in the day's folder, but those of the employees `without` (erased by a run)."""
    total = 0
    for path in (raw_root / f"date={day}").rglob("*.jsonl.gz"):
        with gzip.open(path, "rb") as handle:
            try:
                total += sum(1 for line in handle if not without or _employee(line) not in without)
            except EOFError:
                pass
    return total


def _employee(line: bytes) -> str | None:
    try:
        return json.loads(line).get("employee_id")
    except ValueError:
        return None


def withdrawn(inbox: Path) -> frozenset[str]:
    """Employees whose consent is withdrawn in the directory: every run erases them from raw."""
    with (inbox / "directory.csv").open() as handle:
        return frozenset(row["employee_id"] for row in csv.DictReader(handle) if row["consent"] == "withdrawn")


def identifiers(inbox: Path) -> set[str]:
    """Every direct identifier of the simulated day: employee and device ids, names, emails."""
    found = set()
    with (inbox / "directory.csv").open() as handle:
        for row in csv.DictReader(handle):
            found |= {row["employee_id"], row["name"], row["email"]}
    found |= {p.name.removeprefix("device=") for p in (inbox / "raw").glob("date=*/device=*")}
    return found


def published_values(home: SluiceHome) -> list[str]:
    """Every value of every column of every published table (training Parquet and analytics)."""
    con = duckdb.connect()
    values: list[str] = []
    for parquet in home.training.rglob("*.parquet"):
        rel = con.sql(f"SELECT * FROM read_parquet('{parquet}')")
        for column in rel.columns:
            values += [str(v[0]) for v in con.sql(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM rel').fetchall()]
    if home.analytics_db.exists():
        con.execute(f"ATTACH '{home.analytics_db}' AS a (READ_ONLY)")
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'a'").fetchall():
            for (column,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'a' AND table_name = ?", [table]
            ).fetchall():
                values += [str(v[0]) for v in con.execute(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM a.{table}').fetchall()]
    return values


def published_columns(home: SluiceHome) -> set[str]:
    con = duckdb.connect()
    columns = set()
    for parquet in home.training.rglob("*.parquet"):
        columns |= set(con.sql(f"SELECT * FROM read_parquet('{parquet}')").columns)
    if home.analytics_db.exists():
        con.execute(f"ATTACH '{home.analytics_db}' AS a (READ_ONLY)")
        columns |= {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_catalog = 'a'").fetchall()}
    return columns


def files_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def counts_for(home: SluiceHome, day) -> dict[str, int]:
    with private_zone(home.private_db, os.environ[ENCRYPTION_KEY_ENV], home.spill) as con:
        return day_counts(con, day)


def readable_files(home: SluiceHome) -> dict[str, bytes]:
    """Everything a consumer could read of the published zones: every file under the training zone (markers
    included) and the analytics file."""
    return files_bytes(home.training) | ({"analytics.duckdb": home.analytics_db.read_bytes()} if home.analytics_db.exists() else {})
