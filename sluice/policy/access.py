"""Who may read which zone (the privacy policy's "Zones"): `access.yaml`, read and held to its invariants.

- every zone the pipeline keeps is named, and the pipeline reads and writes each;
- an identifying zone (raw, private, control) is read by the pipeline alone;
- nobody but the pipeline writes a published zone (training, analytics): readers read, they never write;
- every role named is declared.
A file that breaks one is refused when it is read, so a zone cannot be opened up by an edit that nobody reviewed
against the policy.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

ACCESS_PATH = Path(__file__).with_name("access.yaml")
PIPELINE = "pipeline"
ZONES = ("raw", "private", "control", "training", "analytics")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Zone(_Strict):
    holds: str
    identifying: bool
    read: tuple[str, ...]
    write: tuple[str, ...]

    def readers(self) -> tuple[str, ...]:
        """The roles besides the pipeline that read the zone."""
        return tuple(role for role in self.read if role != PIPELINE)


class AccessPolicy(_Strict):
    version: int
    roles: dict[str, str]
    zones: dict[str, Zone]

    @model_validator(mode="after")
    def _holds_to_the_privacy_policy(self) -> "AccessPolicy":
        if set(self.zones) != set(ZONES):
            raise ValueError(f"access.yaml names exactly the zones {', '.join(ZONES)}")
        named = {role for zone in self.zones.values() for role in (*zone.read, *zone.write)}
        if not named <= set(self.roles) or PIPELINE not in self.roles:
            raise ValueError("access.yaml names a role it does not declare")
        for name, zone in self.zones.items():
            if PIPELINE not in zone.read or PIPELINE not in zone.write:
                raise ValueError(f"the pipeline reads and writes every zone ({name})")
            if zone.identifying and zone.readers():
                raise ValueError(f"an identifying zone is read by the pipeline alone ({name})")
            if not zone.identifying and set(zone.write) != {PIPELINE}:
                raise ValueError(f"only the pipeline writes a published zone ({name})")
        return self

    def readable_by(self, role: str) -> list[str]:
        return [name for name, zone in self.zones.items() if role in zone.read]

    def shared(self) -> dict[str, tuple[str, ...]]:
        """The zones some role besides the pipeline reads, with those roles."""
        return {name: zone.readers() for name, zone in self.zones.items() if zone.readers()}


def load_access(path: Path) -> AccessPolicy:
    return AccessPolicy.model_validate(yaml.safe_load(path.read_text()))


@cache
def access_policy() -> AccessPolicy:
    return load_access(ACCESS_PATH)
