"""Buckets the way an operator would set them up (or get them wrong), on the test S3 server."""

from __future__ import annotations

from pathlib import Path

import boto3

BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def kms_key() -> str:
    return boto3.client("kms").create_key(Description="sluice test")["KeyMetadata"]["KeyId"]


def make_bucket(name: str, encryption: str | None = "aws:kms", key_id: str | None = None, public_block: bool = True,
                public_acl: bool = False) -> str:
    """`encryption`: "aws:kms" (with `key_id`), "AES256" (SSE-S3) or None (no default encryption)."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=name)
    if encryption:
        default = {"SSEAlgorithm": encryption, **({"KMSMasterKeyID": key_id} if key_id else {})}
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]})
    if public_block:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
    if public_acl:
        s3.put_bucket_acl(Bucket=name, ACL="public-read")
    return name


def upload_tree(folder: Path, bucket: str, prefix: str) -> list[str]:
    s3 = boto3.client("s3")
    keys = []
    for path in sorted(folder.rglob("*.jsonl.gz")):
        key = f"{prefix}/{path.relative_to(folder).as_posix()}"
        s3.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys
