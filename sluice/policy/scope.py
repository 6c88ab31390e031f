"""Policy rule 1: the versioned scope manifest and the scope-creep reasons it implies."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sluice.contract.models import PAYLOADS, TOP_LEVEL_FIELDS
from sluice.contract.vectorised import type_at

MANIFEST_PATH = Path(__file__).with_name("scope_manifest.yaml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Collect(_Strict):
    regions: tuple[str, ...]
    fields: tuple[str, ...]
    event_types: dict[str, tuple[str, ...]]


class Excluded(_Strict):
    apps: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()


class ScopeManifest(_Strict):
    version: int
    collect: Collect
    exclude: dict[str, Excluded]
    dss_exclude_from_level: int = Field(ge=1, le=4)
    retention_days: int = Field(ge=1)
    k_anonymity: int = Field(ge=2)
    max_contract_failure_rate: float = Field(ge=0, le=1)
    residual_risk_max_rate: float = Field(ge=0, le=1)
    digest: str = ""

    @model_validator(mode="after")
    def _declares_only_what_the_contract_knows(self) -> "ScopeManifest":
        unknown_fields = set(self.collect.fields) - set(TOP_LEVEL_FIELDS)
        unknown_types = set(self.collect.event_types) - set(PAYLOADS)
        unknown_keys = {
            f"{t}.{k}"
            for t, keys in self.collect.event_types.items()
            if t in PAYLOADS
            for k in keys
            if k not in PAYLOADS[t].model_fields
        }
        if unknown_fields or unknown_types or unknown_keys:
            raise ValueError("the manifest declares fields or event types that capture format v1 does not define")
        return self

    @property
    def manifest_version(self) -> str:
        return f"v{self.version}-{self.digest[:12]}"


def load_manifest(path: Path = MANIFEST_PATH) -> ScopeManifest:
    raw = path.read_bytes()
    return ScopeManifest(**yaml.safe_load(raw), digest=hashlib.sha256(raw).hexdigest())


@cache
def default_manifest() -> ScopeManifest:
    return load_manifest()


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::VARCHAR[]"


def scope_reason_sql(manifest: ScopeManifest) -> str:
    """SQL over `sluice.contract.vectorised.parsed_sql`'s columns of a JSON object (or a table of its
    `shape_sql`): the scope-creep reason, or NULL when the row is in scope.

    Only rows whose `event_type` and `region` are strings are judged here; other shapes
    are the contract's to reject.
    """
    c = manifest.collect
    event_type, region, payload = (type_at(p) for p in ("$.event_type", "$.region", "$.payload"))
    payload_keys = "CASE s.event_type " + " ".join(
        f"WHEN '{t}' THEN {_sql_list(keys)}" for t, keys in c.event_types.items()
    ) + " END"
    return f"""CASE
  WHEN {event_type} = 'VARCHAR' AND NOT list_contains({_sql_list(list(c.event_types))}, s.event_type) THEN 'scope:event_type'
  WHEN len(list_filter(k, x -> NOT list_contains({_sql_list(c.fields)}, x))) > 0 THEN 'scope:field'
  WHEN {payload} = 'OBJECT' AND {event_type} = 'VARCHAR'
       AND len(list_filter(pk, x -> NOT list_contains({payload_keys}, x))) > 0 THEN 'scope:payload_field'
  WHEN {region} = 'VARCHAR' AND NOT list_contains({_sql_list(c.regions)}, s.region) THEN 'scope:region'
END"""
