"""Which days new capture batches touch, and a key for the content a day's run would read.

Pure functions over S3 listings (dicts with `Key`, `ETag`, `LastModified`), used by the S3
sensor. A day's content key hashes the name and ETag of every batch in the folders the run
reads (D-1 and D): a batch sent again with the same bytes (same ETag) leaves it unchanged,
so it starts no second run; a new or changed batch changes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sluice.ingest.raw_store import is_batch_key

KEPT_DAYS = 62  # content keys remembered in the cursor; older days fall back on Dagster's run keys


@dataclass
class ArrivalCursor:
    """The newest `LastModified` seen, the keys seen at exactly that instant, each day's last content key,
    and the days seen too early (today's capture: its partition opens tomorrow)."""

    last_modified: datetime | None = None
    at_last: list[str] = field(default_factory=list)
    days: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # days with capture whose partition does not exist yet

    @classmethod
    def load(cls, text: str | None) -> "ArrivalCursor":
        if not text:
            return cls()
        raw = json.loads(text)
        last = datetime.fromisoformat(raw["last_modified"]) if raw.get("last_modified") else None
        return cls(last, raw.get("at_last", []), raw.get("days", {}), raw.get("pending", []))

    def dump(self) -> str:
        days = dict(sorted(self.days.items())[-KEPT_DAYS:])
        return json.dumps({"last_modified": self.last_modified.isoformat() if self.last_modified else None,
                           "at_last": sorted(self.at_last), "days": days,
                           "pending": sorted(set(self.pending))}, sort_keys=True)

    def since(self) -> datetime | None:
        """For `get_objects(since_last_modified=...)`, which is strict: one microsecond before the last instant."""
        return self.last_modified - timedelta(microseconds=1) if self.last_modified else None

    def unseen(self, objects: list[dict]) -> list[dict]:
        return [o for o in objects if not (o["LastModified"] == self.last_modified and o["Key"] in self.at_last)]

    def advance(self, objects: list[dict]) -> None:
        if not objects:
            return
        newest = max(o["LastModified"] for o in objects)
        same = [o["Key"] for o in objects if o["LastModified"] == newest]
        self.at_last = sorted(set(same) | (set(self.at_last) if newest == self.last_modified else set()))
        self.last_modified = newest


def folder_day(relative: str) -> date | None:
    """The day of a batch's `date=D` folder, or None for anything that is not a batch."""
    if not is_batch_key(relative):
        return None
    try:
        return date.fromisoformat(relative.split("/", 1)[0].removeprefix("date="))
    except ValueError:
        return None


def days_fed(folder: date, next_folder_has_capture: bool) -> list[date]:
    """A batch in folder D feeds day D, and day D+1 when D+1 has capture (lines past midnight)."""
    return [folder, folder + timedelta(days=1)] if next_folder_has_capture else [folder]


def content_key(day: date, batches: list[tuple[str, str]]) -> str:
    """`batches`: (relative name, ETag) of every batch day D's run reads."""
    digest = hashlib.sha256("\n".join(f"{name}\t{etag}" for name, etag in sorted(batches)).encode()).hexdigest()
    return f"{day.isoformat()}:{digest[:24]}"
