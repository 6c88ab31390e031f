"""`sluice access`: who may read which zone (`sluice/policy/access.yaml`), where each zone is, and what the home's
real file modes (and a local capture inbox's) break of it (exit 3 if anything; nothing is changed: every other command puts the modes back);
`--iam`: the IAM identity policy of each role for the S3 locations the environment names, as JSON."""

from __future__ import annotations

import json
import os

from sluice.platform.home import GROUP_ENV, SluiceHome
from sluice.platform.iam_policies import role_policies, zone_locations
from sluice.platform.keys import KEY_SECRETS_ENV
from sluice.platform.settings import EXPORT_ENV, RAW_ENV, SHARDS_ROOT_ENV
from sluice.platform.zone_access import access_findings
from sluice.policy.access import ACCESS_PATH, access_policy

EXIT_CLEAN, EXIT_FINDINGS = 0, 3


def _locations() -> dict[str, str]:
    return {"raw": os.environ.get(RAW_ENV, ""), "export": os.environ.get(EXPORT_ENV, ""),
            "shards": os.environ.get(SHARDS_ROOT_ENV, "")}


def _local(home: SluiceHome) -> dict[str, str]:
    shown = {zone: ", ".join(map(str, paths)) for zone, paths in home.zone_paths().items()}
    return {**shown, "raw": os.environ.get(RAW_ENV) or shown["raw"]}


def _reader(home: SluiceHome, role: str) -> str:
    if role not in GROUP_ENV:
        return role
    group = home.group_of(role)
    return f"{role} (group {group})" if group else f"{role} (no {GROUP_ENV[role]} set: the pipeline's user in its place)"


def show(home: SluiceHome, iam: bool) -> int:
    policy = access_policy()
    if iam:
        secrets = [n.strip() for n in os.environ.get(KEY_SECRETS_ENV, "").split(",") if n.strip()]
        print(json.dumps(role_policies(policy, _locations(), secrets), indent=2))
        return EXIT_CLEAN
    on_s3, local = zone_locations(_locations()), _local(home)
    print(f"Who may read which zone ({ACCESS_PATH.relative_to(ACCESS_PATH.parents[2])}):")
    for name, zone in policy.zones.items():
        where = on_s3[name].uri() if name in on_s3 else local[name]
        print(f"  {name:<10} read by {', '.join(_reader(home, r) for r in zone.read)}; written by {', '.join(zone.write)}")
        print(f"  {'':<10} {where}")
    found = [f"{place}:{rule}" for place, rules in access_findings(home, os.environ.get(RAW_ENV, "")).items() for rule in rules]
    if found:
        print(f"{home.root}: readable or writable beyond access.yaml: {', '.join(found)}")
        print("Any other sluice command puts the home's modes back (audited as `access`); the capture inbox is the "
              "operator's to close. Until then a run refuses the day (gate storage_security).")
        return EXIT_FINDINGS
    print(f"{home.root}: no file is readable beyond its zone's readers.")
    return EXIT_CLEAN
