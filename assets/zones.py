"""The asset graph's zones: each a Dagster group, owned by the team that answers for it."""

from typing import Any

OWNERS = {
    "raw": ["team:capture-agents"],  # the agents' inbox: what arrives, and its contract
    "private": ["team:data-platform"],  # the encrypted zone: landing, contract, privacy transforms
    "shards": ["team:data-platform"],
    "training": ["team:ml-platform"],  # training-ready candidates and their published files
    "analytics": ["team:people-analytics"],  # k-anonymous aggregates for analysts
    "publish": ["team:data-platform"],
    "lifecycle": ["team:privacy-office"],  # erasure and retention (rules 2, 10)
}


def zone(name: str) -> dict[str, Any]:
    """`group_name` and `owners` of an asset in zone `name`, to splat into its decorator."""
    return {"group_name": name, "owners": OWNERS[name]}
