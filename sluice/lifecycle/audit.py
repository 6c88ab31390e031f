"""Policy rule 10: an append-only, hash-chained audit log of publications, blocks and the like.

Each record is one JSON line holding counts and rule names only, and the hash of the
previous record, so an edited or removed record breaks the chain (`verify`).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _digest(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _last_hash(path: Path) -> str:
    if not path.exists() or path.stat().st_size == 0:
        return GENESIS
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 65536))
        last = handle.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return json.loads(last)["hash"]


def append(path: Path, action: str, **fields: Any) -> dict[str, Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "action": action, **fields}
    record["prev"] = _last_hash(path)
    record["hash"] = _digest(record)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return record


def read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def verify(path: Path) -> int | None:
    """The 1-based number of the first record that breaks the chain (or is not a record), or None when intact."""
    prev = GENESIS
    lines = path.read_text().splitlines() if path.exists() else []
    for number, line in enumerate((line for line in lines if line.strip()), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            return number
        if not isinstance(record, dict):
            return number
        body = {k: v for k, v in record.items() if k != "hash"}
        if record.get("prev") != prev or _digest(body) != record.get("hash"):
            return number
        prev = record["hash"]
    return None


def record_manifest(path: Path, manifest_version: str) -> bool:
    """Append a `manifest_change` record when `manifest_version` differs from the last one recorded."""
    last = next((r["manifest_version"] for r in reversed(read(path)) if r["action"] == "manifest_change"), None)
    if last == manifest_version:
        return False
    append(path, "manifest_change", manifest_version=manifest_version, previous=last)
    return True
