"""Write imported events as capture format v1 batches: gzip JSON Lines, UTF-8, at most
`MAX_BATCH_EVENTS` events a batch, under `date=<UTC day of the events>/device=<device>/`.

Batch ids are `<prefix>-<YYYYMMDD>-<nnnn>`, the prefix fixed by the recording, so importing the
same recording again rewrites the same files (and removes batches of that prefix it no longer
writes); event ids are uuid5 of the recorder and the source row, so the pipeline dedupes a re-import.
Batches are written under `_tmp` names (which no run reads) and renamed when the whole recording
is read: a run reading the inbox meanwhile never sees half an import, and a failed import leaves
nothing behind.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sluice.platform.errors import SluiceError

MAX_BATCH_EVENTS = 2_000
SUFFIX = ".jsonl.gz"
# Fixed namespace of every id an importer derives (event ids, default sessions, batch prefixes).
NAMESPACE = uuid.UUID("6f1d2c54-8a0e-5b7c-9d3e-2a4b6c8d0e1f")
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$")  # a device id: also a safe folder name
REGION_PATTERN = re.compile(r"^[A-Z]{2}$")


def derived_id(*parts: object) -> str:
    """A deterministic UUID from the parts (never from identifying metadata of the recording)."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(map(str, parts))))


def unix_ms(seconds: object) -> int | None:
    """Unix seconds -> integer ms (rounded), or None when not a usable instant."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return None
    ms = round(seconds * 1000)
    return ms if 0 <= ms <= MAX_MS else None


def format_ts(ms: int) -> str:
    """RFC 3339 UTC with milliseconds: `2026-11-02T09:13:22.123Z`."""
    sec, milli = divmod(ms, 1000)
    return datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{milli:03d}Z"


def check_identity(employee: str, device: str, region: str, session: str | None, app: str) -> None:
    """The flags that become top-level fields: value-free errors (the flag's name, never its value)."""
    for flag, value, longest in (("--employee", employee, 128), ("--session", session, 128), ("--app", app, 256)):
        if value is not None and not (0 < len(value) <= longest and value.isprintable() and value.strip() == value):
            raise SluiceError("invalid_flag", f"{flag}: 1-{longest} printable characters")
    if not ID_PATTERN.match(device):  # it names a folder too
        raise SluiceError("invalid_flag", "--device: 1-128 characters of letters, digits and ._:@+-")
    if not REGION_PATTERN.match(region):
        raise SluiceError("invalid_flag", "--region: an ISO 3166-1 alpha-2 code such as US")


class BatchWriter:
    """Collects the event lines of one recording and writes them as batches of one device."""

    def __init__(self, out: Path, device: str, prefix: str, on_written: Callable[[int], None] | None = None) -> None:
        self.out, self.device, self.prefix, self.on_written = out, device, prefix, on_written  # (events in a batch written)
        self.pending: dict[str, list[str]] = {}  # YYYY-MM-DD -> lines not yet written
        self.numbers: Counter[str] = Counter()
        self.staged: list[tuple[Path, Path]] = []  # (_tmp file, final path)
        self.events = 0

    def add(self, event: dict) -> None:
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a recorder's JSON: escaped, for the pipeline to judge
            line = json.dumps(event, separators=(",", ":"))
        day = event["ts"][:10]
        lines = self.pending.setdefault(day, [])
        lines.append(line)
        self.events += 1
        if len(lines) >= MAX_BATCH_EVENTS:
            self._flush(day)

    def _flush(self, day: str) -> None:
        lines = self.pending.pop(day, [])
        if not lines:
            return
        folder = self.out / f"date={day}" / f"device={self.device}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.prefix}-{day.replace('-', '')}-{self.numbers[day]:04d}{SUFFIX}"
        self.numbers[day] += 1
        tmp = folder / f"_tmp-{path.name}.part"
        tmp.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=6, mtime=0))
        self.staged.append((tmp, path))
        if self.on_written is not None:
            self.on_written(len(lines))

    def close(self) -> dict[str, int]:
        """Write what is pending, publish every batch by renaming, and remove this prefix's batches of
        an earlier import that were not rewritten."""
        for day in sorted(self.pending):
            self._flush(day)
        for tmp, path in self.staged:
            os.replace(tmp, path)
        written = {path for _, path in self.staged}
        stale = [p for p in self.out.glob(f"date=*/device={self.device}/{self.prefix}-*{SUFFIX}") if p not in written]
        for path in stale:
            path.unlink()
        return {"batches": len(written), "stale_batches_removed": len(stale)}

    def abort(self) -> None:
        """Remove what was staged (the import failed): the inbox is as it was."""
        for tmp, _ in self.staged:
            tmp.unlink(missing_ok=True)
        self.staged.clear()
