"""S3 locations and DuckDB's access to S3, from the standard `AWS_*` environment.

boto3 reads `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_PROFILE`,
`AWS_DEFAULT_REGION` and `AWS_ENDPOINT_URL` itself; DuckDB's httpfs gets the same
credentials, region and endpoint through an in-memory secret (never written anywhere).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlparse

import boto3
import duckdb

from sluice.platform.errors import SluiceError

SCHEME = "s3://"


def is_s3(uri: str) -> bool:
    return uri.startswith(SCHEME)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # no leading or trailing slash; may be empty

    @classmethod
    def parse(cls, uri: str) -> "S3Location":
        if not is_s3(uri):
            raise SluiceError("configuration", "expected an s3://bucket/prefix location")
        bucket, _, prefix = uri.removeprefix(SCHEME).partition("/")
        if not bucket:
            raise SluiceError("configuration", "the s3:// location names no bucket")
        return cls(bucket, prefix.strip("/"))

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def uri(self, *parts: str) -> str:
        return f"{SCHEME}{self.bucket}/{self.key(*parts)}"


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None


def client():
    """An S3 client as boto3 configures it from the environment (`AWS_ENDPOINT_URL` included)."""
    return boto3.client("s3")


def kms_key_for(client, bucket: str, configured: str = "") -> str:
    """The configured SSE-KMS key, else the bucket's default one (so objects never fall back to aws/s3)."""
    if configured:
        return configured
    rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    keys = [r["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID") for r in rules]
    return next((k for k in keys if k), "")


def attach_s3(con: duckdb.DuckDBPyConnection, kms_key_id: str = "") -> None:
    """Give DuckDB (httpfs, already loaded) the environment's S3 credentials, region and endpoint.

    With `kms_key_id`, every object DuckDB writes carries SSE-KMS headers with that key.
    """
    session = boto3.session.Session()
    credentials = session.get_credentials()
    if credentials is None:
        raise SluiceError("configuration", "no AWS credentials in the environment")
    frozen = credentials.get_frozen_credentials()
    options = {"KEY_ID": frozen.access_key, "SECRET": frozen.secret_key, "REGION": session.region_name or "us-east-1"}
    if frozen.token:
        options["SESSION_TOKEN"] = frozen.token
    if kms_key_id:
        options["KMS_KEY_ID"] = kms_key_id
    endpoint = endpoint_url()
    if endpoint:
        parsed = urlparse(endpoint)
        options.update(ENDPOINT=parsed.netloc, URL_STYLE="path")
        use_ssl = parsed.scheme == "https"
    else:
        use_ssl = True
    names = ", ".join(f"{name} ?" for name in options)
    con.execute(f"CREATE OR REPLACE TEMPORARY SECRET sluice_s3 (TYPE s3, {names}, USE_SSL {str(use_ssl).lower()})",
                list(options.values()))
