"""`access.yaml` on S3: one IAM identity policy per role, for the locations the deployment names.

Zones on S3: raw is `SLUICE_RAW`, private is `SLUICE_SHARDS_ROOT` when shards meet on S3 (their encrypted
Parquet), training is `SLUICE_EXPORT`'s `training/` (the export's files and manifests). Control and analytics
never leave the home. Each role gets:
- for a zone it reads: `s3:GetObject` on the zone's objects and `s3:ListBucket` on its bucket limited to the
  zone's prefix; for a zone it writes: `s3:PutObject` (and `s3:DeleteObject` for the pipeline alone: erasure and
  retention delete, nobody else does); KMS through S3 only, to encrypt what it writes and decrypt what it reads;
- an explicit `Deny` of reading every identifying zone it may not read, so no other policy attached to the same
  principal can open it;
- the pipeline, besides: the bucket settings the storage_security gate reads, and the key secrets it names.
Resources are ARNs built from the locations; nothing else is granted (no `s3:*`, no `Resource: *` outside KMS,
where S3 decides the key).
"""

from __future__ import annotations

from sluice.platform.s3 import S3Location, is_s3
from sluice.policy.access import PIPELINE, AccessPolicy

ZONE_LOCATIONS = {"raw": ("raw", ""), "private": ("shards", ""), "training": ("export", "training")}
READ, LIST = ["s3:GetObject"], ["s3:ListBucket"]
BUCKET_SETTINGS = ["s3:GetEncryptionConfiguration", "s3:GetBucketPublicAccessBlock", "s3:GetBucketAcl",
                   "s3:GetBucketPolicyStatus"]
VIA_S3 = {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}}


def zone_locations(locations: dict[str, str]) -> dict[str, S3Location]:
    """The zones on S3, from the deployment's locations (`raw`, `export`, `shards`: URIs, empty when unset)."""
    found = {}
    for zone, (name, sub) in ZONE_LOCATIONS.items():
        uri = locations.get(name, "")
        if uri and is_s3(uri):
            root = S3Location.parse(uri)
            found[zone] = S3Location(root.bucket, root.key(sub))
    return found


def _objects(location: S3Location) -> str:
    return f"arn:aws:s3:::{location.bucket}/{location.key('*')}"


def _bucket(location: S3Location) -> str:
    return f"arn:aws:s3:::{location.bucket}"


def _within(location: S3Location) -> dict:
    prefixes = [location.key("*")] + ([location.prefix] if location.prefix else [])
    return {"StringLike": {"s3:prefix": prefixes}}


def _sid(*words: str) -> str:
    return "".join(w.capitalize() for word in words for w in word.split("_"))


def role_policy(policy: AccessPolicy, role: str, locations: dict[str, str], secret_names: list[str] = ()) -> dict:
    """The identity policy of `role` (IAM JSON) for the zones on S3 that `locations` names."""
    zones = zone_locations(locations)
    read = {name for name in zones if role in policy.zones[name].read}
    written = {name for name in zones if role in policy.zones[name].write}
    statements = []
    for name, location in zones.items():
        if name in read:
            statements += [{"Sid": _sid("read", name), "Effect": "Allow", "Action": READ, "Resource": [_objects(location)]},
                           {"Sid": _sid("list", name), "Effect": "Allow", "Action": LIST, "Resource": [_bucket(location)],
                            "Condition": _within(location)}]
        if name in written:
            actions = ["s3:PutObject", *(["s3:DeleteObject"] if role == PIPELINE else [])]
            statements.append({"Sid": _sid("write", name), "Effect": "Allow", "Action": actions, "Resource": [_objects(location)]})
        if policy.zones[name].identifying and name not in read:
            statements.append({"Sid": _sid("deny", "read", name), "Effect": "Deny", "Action": ["s3:GetObject*"],
                               "Resource": [_objects(location)]})
            if not any(zones[other].bucket == location.bucket for other in read):
                statements.append({"Sid": _sid("deny", "list", name), "Effect": "Deny", "Action": ["s3:ListBucket*"],
                                   "Resource": [_bucket(location)]})
    kms = (["kms:Decrypt"] if read else []) + (["kms:GenerateDataKey"] if written else [])
    if kms:
        statements.append({"Sid": "KmsThroughS3", "Effect": "Allow", "Action": kms, "Resource": ["*"], "Condition": VIA_S3})
    if role == PIPELINE and zones:
        buckets = sorted({_bucket(location) for location in zones.values()})
        statements.append({"Sid": "BucketSettings", "Effect": "Allow", "Action": BUCKET_SETTINGS, "Resource": buckets})
        if secret_names:
            statements.append({"Sid": "KeySecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                               "Resource": [f"arn:aws:secretsmanager:*:*:secret:{name}-*" for name in secret_names]})
    return {"Version": "2012-10-17", "Statement": statements}


def role_policies(policy: AccessPolicy, locations: dict[str, str], secret_names: list[str] = ()) -> dict[str, dict]:
    return {role: role_policy(policy, role, locations, secret_names) for role in policy.roles}
