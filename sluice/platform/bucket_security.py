"""Is a bucket fit to hold capture or training data? Checked before anything is read or written.

A bucket passes when its default encryption is SSE-KMS (or SSE-S3, only with the explicit
override `SLUICE_ALLOW_SSE_S3=true`) and it is not public: all four public-access-block
settings on, no ACL grant to everyone, no bucket policy AWS judges public. Findings are
rule names (never policy or ACL contents).
"""

from __future__ import annotations

import re

from botocore.exceptions import ClientError

from sluice.platform.s3 import S3Location, is_s3

KMS_ALGORITHMS = {"aws:kms", "aws:kms:dsse"}
SSE_S3 = "AES256"
PUBLIC_GRANTEES = {"http://acs.amazonaws.com/groups/global/AllUsers",
                   "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}
BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _error_code(exc: ClientError) -> str:
    return re.sub(r"[^a-z0-9_]", "_", str(exc.response.get("Error", {}).get("Code", "unknown")).lower())


def _encryption(client, bucket: str, allow_sse_s3: bool) -> list[str]:
    try:
        rules = client.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except ClientError as exc:
        if _error_code(exc) == "serversideencryptionconfigurationnotfounderror":
            return ["unencrypted"]
        raise
    algorithms = {r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules}
    if algorithms & KMS_ALGORITHMS:
        return []
    if SSE_S3 in algorithms:
        return [] if allow_sse_s3 else ["sse_s3_without_override"]
    return ["unencrypted"]


def _public_access_block(client, bucket: str) -> list[str]:
    try:
        config = client.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if _error_code(exc) == "nosuchpublicaccessblockconfiguration":
            return ["public_access_not_blocked"]
        raise
    return [] if all(config.get(name) for name in BLOCK_SETTINGS) else ["public_access_not_blocked"]


def _acl(client, bucket: str) -> list[str]:
    grants = client.get_bucket_acl(Bucket=bucket).get("Grants", [])
    public = any(g.get("Grantee", {}).get("URI") in PUBLIC_GRANTEES for g in grants)
    return ["public_acl"] if public else []


def _policy(client, bucket: str) -> list[str]:
    try:
        status = client.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]
    except ClientError as exc:
        if _error_code(exc) == "nosuchbucketpolicy":
            return []
        raise
    return ["public_policy"] if status.get("IsPublic") else []


def bucket_findings(client, bucket: str, allow_sse_s3: bool = False) -> list[str]:
    """The rules `bucket` breaks; `unreachable:<code>` when S3 will not tell (also a refusal)."""
    try:
        return [*_encryption(client, bucket, allow_sse_s3), *_public_access_block(client, bucket),
                *_acl(client, bucket), *_policy(client, bucket)]
    except ClientError as exc:
        return [f"unreachable:{_error_code(exc)}"]


def storage_findings(locations: dict[str, str], client, allow_sse_s3: bool = False) -> dict[str, list[str]]:
    """Findings per role (`raw`, `export`) for the roles whose location is on S3."""
    return {role: bucket_findings(client, S3Location.parse(uri).bucket, allow_sse_s3)
            for role, uri in locations.items() if uri and is_s3(uri)}
