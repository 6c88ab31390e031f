"""Export a published day's training zone to S3: files first, the manifest object last.

The day's Parquet files, and each table's `manifest.json`, are uploaded byte for byte (their sha256 is the
local marker's) under `<prefix>/training/<table>/date=D/v=<run>/`, a prefix nothing references yet, each with
SSE-KMS headers. DuckDB (httpfs) then reads every uploaded file back and its row count must
match. Only then is `<prefix>/training/_published/D.json` put: readers trust only the files a
manifest names, so a kill at any point leaves the previous manifest's data intact. Versions of
the day that no manifest names are deleted afterwards.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb

from sluice.platform.bucket_security import bucket_findings
from sluice.platform.errors import SluiceError
from sluice.platform.home import SluiceHome
from sluice.platform.s3 import S3Location, attach_s3, kms_key_for

MANIFESTS = "training/_published"


def _sse(kms_key: str) -> dict[str, str]:
    return {"ServerSideEncryption": "aws:kms", **({"SSEKMSKeyId": kms_key} if kms_key else {})}


def _paths(info: dict) -> list[str]:
    """A marker table's files and its manifest.json (days published before manifests existed have none)."""
    return [f["path"] for f in info["files"]] + ([info["manifest"]] if info.get("manifest") else [])


def manifest_key(location: S3Location, day: date) -> str:
    return location.key(MANIFESTS, f"{day.isoformat()}.json")


def export_day(client, con: duckdb.DuckDBPyConnection, home: SluiceHome, marker: dict, location: S3Location,
               kms_key_id: str = "", allow_sse_s3: bool = False) -> str:
    """Export the day `marker` (the local commit marker) names; return the manifest's s3:// URI."""
    findings = bucket_findings(client, location.bucket, allow_sse_s3)
    if findings:
        raise SluiceError("export_bucket_refused", ",".join(findings))
    kms_key = kms_key_for(client, location.bucket, kms_key_id)
    day = date.fromisoformat(marker["date"])
    for info in marker["tables"].values():
        for path in _paths(info):
            client.upload_file(str(home.training / path), location.bucket, location.key("training", path), ExtraArgs=_sse(kms_key))
    attach_s3(con)
    for table, info in marker["tables"].items():
        uris = [location.uri("training", f["path"]) for f in info["files"]]
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [uris]).fetchone()[0] if uris else 0
        if rows != info["rows"]:
            raise SluiceError("export_verification_failed", f"{table}: rows read back differ from the marker")
    manifest = {**marker, "files_root": location.uri("training")}
    key = manifest_key(location, day)
    client.put_object(Bucket=location.bucket, Key=key, Body=json.dumps(manifest, indent=2, sort_keys=True).encode(),
                      ContentType="application/json", **_sse(kms_key))
    _drop_unmanifested(client, location, marker)
    return location.uri(MANIFESTS, f"{day.isoformat()}.json")


def _drop_unmanifested(client, location: S3Location, marker: dict) -> None:
    keep = {location.key("training", path) for info in marker["tables"].values() for path in _paths(info)}
    paginator = client.get_paginator("list_objects_v2")
    for table in marker["tables"]:
        prefix = location.key("training", table, f"date={marker['date']}") + "/"
        stale = [{"Key": o["Key"]} for page in paginator.paginate(Bucket=location.bucket, Prefix=prefix)
                 for o in page.get("Contents", []) if o["Key"] not in keep]
        for start in range(0, len(stale), 1000):
            client.delete_objects(Bucket=location.bucket, Delete={"Objects": stale[start:start + 1000]})


def read_manifest(client, location: S3Location, day: date) -> dict | None:
    try:
        body = client.get_object(Bucket=location.bucket, Key=manifest_key(location, day))["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    return json.loads(body)
