"""Stage 7, publish (write-audit-publish), run only after every blocking gate of the day passed.

Two guards agree before anything leaves the private zone: the orchestrator skips this step when a
blocking check upstream failed (every candidate is upstream of it), and `publish_day` itself refuses
unless its `Clearance` (this run's check evaluations, read from the event log) says every gate the
candidates depend on ran and passed (`sluice/quality/clearance.py`).

Everything is staged first where no consumer can read it: `warehouse/_staging/<run>/` (0700, outside
the training zone) gets each training table's Parquet and `manifest.json`, and the next analytics file
(a copy of the current one with the day's rows replaced). Then the table folders are moved (renamed)
to `training/<table>/date=D/v=<run>/`, and the commit point is the rename of the marker
`training/_published/D.json` (tables, rows, file hashes, the staged analytics file, manifest and code
versions): readers trust only what a marker names. Then the staged analytics file is renamed over
`analytics.duckdb` (a reader holding the old one open keeps the old day) and the day's unnamed
versions are deleted.

A run that fails before the commit deletes what it staged and moved at once; one killed at any point
leaves either the old publication (before the marker's rename) or the new one with its analytics swap
pending (after it), and `recover` at the start of the next run rolls the pending swap forward and
deletes whatever no marker names.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from sluice.ingest.landing import landed_content
from sluice.lifecycle import audit
from sluice.platform.home import SluiceHome
from sluice.platform.versions import code_version, policy_version
from sluice.platform.zone_access import share, share_tree
from sluice.policy.scope import default_manifest
from sluice.publish.analyst_views import describe_analytics
from sluice.publish.training_manifest import write_manifest
from sluice.quality.candidates import ANALYTICS_TABLES, TRAINING_TABLES
from sluice.quality.clearance import Clearance

ANALYTICS_DAY_COLUMN = "day"
STAGED_ANALYTICS = "analytics.duckdb"


@dataclass(frozen=True)
class Publication:
    marker: Path
    rows: dict[str, int]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stage_dir(home: SluiceHome, run_id: str) -> Path:
    """The run's staging folder, empty: inside `home.staging` (0700), so no consumer can read what is in it."""
    stage = home.staging / run_id
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    return stage


def _version(home: SluiceHome, table: str, day: date, run_id: str) -> Path:
    return home.training / table / f"date={day.isoformat()}" / f"v={run_id}"


def _stage_training(con: duckdb.DuckDBPyConnection, home: SluiceHome, stage: Path, day: date, run_id: str, table: str,
                    source: str | None = None) -> dict:
    """Write `source` (a relation; default the private candidate table) into the stage as the day's version
    `v=<run_id>` to be: its Parquet and the `manifest.json` trainers load it by (`sluice/publish/training_manifest.py`).
    The paths returned are those the files will have once moved in."""
    folder = stage / table
    folder.mkdir()
    part = folder / "part-0.parquet"
    con.execute(f"COPY (SELECT * FROM {source or f'private.training.{table}'} ORDER BY ALL) TO '{part}' (FORMAT parquet)")
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{part}')").fetchone()[0]
    sha256 = _sha256(part)
    manifest = write_manifest(con, folder, table, day, run_id, [{"name": part.name, "sha256": sha256, "rows": rows}])
    final = _version(home, table, day, run_id)
    files = [{"path": (final / part.name).relative_to(home.training).as_posix(), "sha256": sha256, "rows": rows}]
    return {"rows": rows, "files": files, "manifest": (final / manifest.name).relative_to(home.training).as_posix()}


def _move_in(home: SluiceHome, stage: Path, day: date, run_id: str, tables) -> None:
    """Rename the staged table folders into the training zone (still unpublished: no marker names them yet), each
    with the zone's modes first (`sluice/platform/zone_access.py`), so trainers can read what a marker will name."""
    for path in (home.root, home.warehouse, home.training, home.markers):
        share(home, path)
    for table in tables:
        final = _version(home, table, day, run_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        for folder in (final.parent.parent, final.parent):
            share(home, folder)
        share_tree(home, stage / table, "training")
        shutil.rmtree(final, ignore_errors=True)
        os.rename(stage / table, final)


def _discard(home: SluiceHome, day: date, stage: Path) -> None:
    """Undo a publication that did not commit: what it staged, and the versions it moved in."""
    shutil.rmtree(stage, ignore_errors=True)
    _drop_unmarked_versions(home, day, published_marker(home, day) or {"tables": {}})


def stage_analytics(con: duckdb.DuckDBPyConnection, home: SluiceHome, stage: Path, day: date) -> tuple[Path, dict[str, int]]:
    """The next analytics file, in the stage: a copy of the current one with day D's rows replaced."""
    staged = stage / STAGED_ANALYTICS
    staged.unlink(missing_ok=True)
    if home.analytics_db.exists():
        shutil.copyfile(home.analytics_db, staged)
    con.execute(f"ATTACH '{staged}' AS next_analytics")
    rows = {}
    try:
        for table in ANALYTICS_TABLES:
            source = f"private.analytics.{table}"
            con.execute(f"CREATE TABLE IF NOT EXISTS next_analytics.main.{table} AS SELECT * FROM {source} LIMIT 0")
            con.execute(f"DELETE FROM next_analytics.main.{table} WHERE {ANALYTICS_DAY_COLUMN} = ?", [day])
            con.execute(f"INSERT INTO next_analytics.main.{table} SELECT * FROM {source}")
            rows[table] = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        describe_analytics(con, "next_analytics", default_manifest().k_anonymity)
        con.execute("CHECKPOINT next_analytics")
    finally:
        con.execute("DETACH next_analytics")
    _fsync(staged)
    return staged, rows


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _write_marker(home: SluiceHome, day: date, body: dict) -> Path:
    marker = home.markers / f"{day.isoformat()}.json"
    tmp = home.markers / f"_tmp_{day.isoformat()}.json"
    with tmp.open("w") as handle:
        json.dump(body, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    share(home, tmp)
    os.replace(tmp, marker)
    return marker


def _drop_unmarked_versions(home: SluiceHome, day: date, marker: dict) -> None:
    """Delete every version folder of the day that the marker does not name for that very table."""
    for table in TRAINING_TABLES:
        kept = {Path(f["path"]).parent.name for f in marker["tables"].get(table, {}).get("files", [])}
        for old in (home.training / table / f"date={day.isoformat()}").glob("*v=*"):
            if old.name not in kept:
                shutil.rmtree(old, ignore_errors=True)


def publish_day(con: duckdb.DuckDBPyConnection, home: SluiceHome, day: date, run_id: str, manifest_version: str,
                clearance: Clearance) -> Publication:
    """Publish day D from the private zone's candidate tables (`con` has `private` attached), if cleared."""
    if not clearance.cleared:  # before anything is written
        audit.append(home.audit_log, "block", day=day.isoformat(), run_id=run_id, gate="clearance", counts=clearance.counts())
        raise clearance.refusal()
    recover(home)
    stage = _stage_dir(home, run_id)
    try:
        training = {table: _stage_training(con, home, stage, day, run_id, table) for table in TRAINING_TABLES}
        staged, analytics = stage_analytics(con, home, stage, day)
        body = {
            "date": day.isoformat(),
            "run_id": run_id,
            "published_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "tables": training,
            "analytics_rows": analytics,
            "analytics_staged": staged.relative_to(home.warehouse).as_posix(),
            "manifest_version": manifest_version,
            "code_version": code_version(),
            "policy_version": policy_version(),
            "raw_content": landed_content(con, day),  # what the run read: a late batch changes it
        }
        _move_in(home, stage, day, run_id, TRAINING_TABLES)
        marker = _write_marker(home, day, body)  # the commit point
    except BaseException:
        _discard(home, day, stage)
        raise
    _finish(home, day, body)
    rows = {**{t: v["rows"] for t, v in training.items()}, **analytics}
    excluded = dict(con.execute("SELECT rule, n FROM exclusions WHERE partition_date = ? AND n > 0 ORDER BY rule", [day]).fetchall())
    audit.append(home.audit_log, "publish", day=day.isoformat(), run_id=run_id, rows=rows, excluded=excluded,
                 manifest_version=manifest_version)
    return Publication(marker, rows)


def _finish(home: SluiceHome, day: date, marker: dict) -> None:
    """After a marker's rename: swap its staged analytics file in (if still pending), remove its stage,
    drop unnamed versions."""
    if marker.get("analytics_staged"):
        staged = home.warehouse / marker["analytics_staged"]
        if staged.exists():
            share(home, staged, "analytics")
            os.replace(staged, home.analytics_db)
        if staged.parent.parent == home.staging:
            shutil.rmtree(staged.parent, ignore_errors=True)
    _drop_unmarked_versions(home, day, marker)


def recover(home: SluiceHome) -> dict[str, int]:
    """Complete or undo what a killed run left: roll each committed day's pending analytics swap forward,
    then delete every staged file and version that no marker names (uncommitted work)."""
    markers = {day.isoformat(): published_marker(home, day) for day in published_days(home)}
    counts = {"analytics_rolled_forward": 0, "staged_removed": 0}
    for day, marker in markers.items():
        counts["analytics_rolled_forward"] += (home.warehouse / marker.get("analytics_staged", "")).is_file()
        _finish(home, date.fromisoformat(day), marker)
    leftovers = [*home.staging.iterdir(), *home.warehouse.glob("_tmp*"), *home.markers.glob("_tmp_*"),
                 *(v for d in home.training.glob("*/date=*") if d.name.removeprefix("date=") not in markers for v in d.glob("*v=*"))]
    for path in leftovers:
        counts["staged_removed"] += 1
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    if any(counts.values()):
        audit.append(home.audit_log, "recover", counts=counts)
    return counts


def published_marker(home: SluiceHome, day: date) -> dict | None:
    marker = home.markers / f"{day.isoformat()}.json"
    return json.loads(marker.read_text()) if marker.exists() else None


def published_days(home: SluiceHome) -> list[date]:
    return sorted(date.fromisoformat(p.stem) for p in home.markers.glob("*.json") if not p.name.startswith("_tmp"))


def files_relation(home: SluiceHome, files: list[dict]) -> str:
    """SQL reading the Parquet files a marker names (no hive columns from the folder names)."""
    listed = ", ".join(f"'{home.training / f['path']}'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = false)"


def rewrite_training(con: duckdb.DuckDBPyConnection, home: SluiceHome, day: date, run_id: str, keep: str,
                     reason: str) -> dict[str, int]:
    """Re-publish day D's training files keeping only rows where `keep` (SQL) holds: new versions for the
    tables that lose rows (staged, moved in), then a new marker naming them (the rest unchanged), then the
    old versions go. Returns rows removed per table."""
    marker = published_marker(home, day)
    removed = {}
    stage = _stage_dir(home, run_id)
    try:
        for table, info in marker["tables"].items():
            relation = files_relation(home, info["files"]) if info["files"] else None
            gone = con.execute(f"SELECT count(*) FROM {relation} WHERE NOT ({keep})").fetchone()[0] if relation else 0
            if gone:
                marker["tables"][table] = _stage_training(con, home, stage, day, run_id, table,
                                                          f"(SELECT * FROM {relation} WHERE {keep})")
                removed[table] = gone
        if removed:
            marker["rewritten"] = [*marker.get("rewritten", []), {"run_id": run_id, "reason": reason, "rows_removed": removed,
                                   "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}]
            _move_in(home, stage, day, run_id, removed)
            _write_marker(home, day, marker)
    except BaseException:
        _discard(home, day, stage)
        raise
    shutil.rmtree(stage, ignore_errors=True)
    _drop_unmarked_versions(home, day, marker)
    return removed
