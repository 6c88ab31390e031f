"""Where capture batches are read from: a local folder (the default) or an S3 prefix.

Both hold `date=D/device=X/<batch_id>.jsonl.gz` under their root. Day D reads the folders of
D-1 and D (a batch may cross midnight). A batch opens as a byte stream that the bounded
gzip reader consumes chunk by chunk, so an S3 object is streamed, never loaded whole.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from sluice.platform.errors import SluiceError
from sluice.platform.s3 import S3Location, is_s3

BATCH_SUFFIX = ".jsonl.gz"


@dataclass(frozen=True)
class Batch:
    relative: str  # date=D/device=X/<batch_id>.jsonl.gz
    date_dir: date
    open: Callable[[], AbstractContextManager[BinaryIO]]
    version: str = ""  # changes when the bytes change: the S3 ETag, or a local file's size and mtime

    @property
    def batch_id(self) -> str:
        return self.relative.rsplit("/", 1)[-1].removesuffix(BATCH_SUFFIX)


class RawStore(Protocol):
    def folder(self, folder_day: date) -> list[Batch]: ...

    def batches(self, day: date) -> list[Batch]: ...

    def days(self) -> list[date]: ...

    def delete_day(self, day: date) -> int: ...

    def replace(self, relative: str, data: bytes | None) -> None: ...


def folder_date(name: str) -> date | None:
    """The day of a `date=D` folder name, or None."""
    try:
        return date.fromisoformat(name.removeprefix("date=")) if name.startswith("date=") else None
    except ValueError:
        return None


def folder_days(day: date) -> tuple[date, date]:
    return day - timedelta(days=1), day


def is_batch_key(relative: str) -> bool:
    parts = relative.split("/")
    return len(parts) == 3 and parts[0].startswith("date=") and parts[1].startswith("device=") and parts[2].endswith(BATCH_SUFFIX)


def _stamp(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


class LocalRaw:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: dict[str, Path] = {}  # a batch's name -> its path, for names that are not UTF-8

    def _name(self, path: Path) -> str:
        """The batch's name as text: bytes that are not UTF-8 (a local disk allows them) escaped as `\\xNN`."""
        name = os.fsencode(path.relative_to(self.root).as_posix()).decode("utf-8", "backslashreplace")
        self._paths[name] = path
        return name

    def folder(self, folder_day: date) -> list[Batch]:
        """The batches under `date=<folder_day>/` (files only: a folder named like a batch is none)."""
        paths = sorted(p for p in (self.root / f"date={folder_day.isoformat()}").glob(f"device=*/*{BATCH_SUFFIX}") if p.is_file())
        return [Batch(self._name(p), folder_day, lambda p=p: p.open("rb"), _stamp(p)) for p in paths]

    def batches(self, day: date) -> list[Batch]:
        """The batches of folders D-1 and D. A missing raw root is an error, not an empty day."""
        if not self.root.is_dir():
            raise SluiceError("raw_root_missing", "the raw root is not a readable folder")
        return [batch for folder_day in folder_days(day) for batch in self.folder(folder_day)]

    def replace(self, relative: str, data: bytes | None) -> None:
        """Rewrite a batch atomically (a `_tmp` name, then rename), or delete it when `data` is None."""
        path = self._paths.get(relative, self.root / relative)
        if data is None:
            path.unlink(missing_ok=True)
            if not any(path.parent.iterdir()):  # the device folder's name is an identifier too
                path.parent.rmdir()
            return
        tmp = path.with_name(f"_tmp_{path.name}.part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def days(self) -> list[date]:
        """The days that have a `date=D` folder."""
        if not self.root.is_dir():
            return []
        return sorted(d for d in (folder_date(p.name) for p in self.root.iterdir() if p.is_dir()) if d is not None)

    def delete_day(self, day: date) -> int:
        """Delete folder `date=D` with its batches; the number of batches deleted."""
        folder = self.root / f"date={day.isoformat()}"
        batches = len(list(folder.glob(f"device=*/*{BATCH_SUFFIX}")))
        shutil.rmtree(folder, ignore_errors=True)
        return batches


class S3Raw:
    def __init__(self, client, location: S3Location) -> None:
        self.client, self.location = client, location

    def objects(self, folder_day: date) -> Iterator[dict]:
        """The batch objects (`Key`, `ETag`, `Size`, `LastModified`) under `date=<folder_day>/`."""
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = self.location.key(f"date={folder_day.isoformat()}") + "/"
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if is_batch_key(self.relative(obj["Key"])):
                    yield obj

    def relative(self, key: str) -> str:
        return key.removeprefix(self.location.prefix).lstrip("/") if self.location.prefix else key

    @contextmanager
    def _open(self, key: str) -> Iterator[BinaryIO]:
        body = self.client.get_object(Bucket=self.location.bucket, Key=key)["Body"]
        with closing(body):
            yield body

    def folder(self, folder_day: date) -> list[Batch]:
        return [Batch(self.relative(o["Key"]), folder_day, lambda k=o["Key"]: self._open(k), o["ETag"])
                for o in sorted(self.objects(folder_day), key=lambda o: o["Key"])]

    def batches(self, day: date) -> list[Batch]:
        return [batch for folder_day in folder_days(day) for batch in self.folder(folder_day)]

    def replace(self, relative: str, data: bytes | None) -> None:
        """Rewrite a batch (a PUT replaces an object whole) or delete it; the bucket's default encryption applies."""
        key = self.location.key(relative)
        if data is None:
            self.client.delete_object(Bucket=self.location.bucket, Key=key)
        else:
            self.client.put_object(Bucket=self.location.bucket, Key=key, Body=data)


    def days(self) -> list[date]:
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = f"{self.location.prefix}/" if self.location.prefix else ""
        found = set()
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                day = folder_date(common["Prefix"].removeprefix(prefix).rstrip("/"))
                if day is not None:
                    found.add(day)
        return sorted(found)

    def delete_day(self, day: date) -> int:
        paginator = self.client.get_paginator("list_objects_v2")
        prefix = self.location.key(f"date={day.isoformat()}") + "/"
        keys = [o["Key"] for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix) for o in page.get("Contents", [])]
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(Bucket=self.location.bucket, Delete={"Objects": [{"Key": k} for k in keys[start:start + 1000]]})
        return sum(1 for k in keys if is_batch_key(self.relative(k)))


def raw_store(raw_root: str, s3_client=None) -> RawStore:
    """`raw_root` is a folder or `s3://bucket/prefix` (then `s3_client` reads it)."""
    if is_s3(raw_root):
        if s3_client is None:
            raise SluiceError("configuration", "an s3:// raw root needs an S3 client")
        return S3Raw(s3_client, S3Location.parse(raw_root))
    return LocalRaw(Path(raw_root))
