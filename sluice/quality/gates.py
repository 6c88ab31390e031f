"""Gates: plain functions that judge a day's counts and say pass or block, in counts only.

Dagster turns each `Gate` into a blocking asset check; `sluice run` prints the failed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sluice.policy.scope import ScopeManifest

# What each gate asserts, in one line: the check's description in the UI and the first line of its result.
DESCRIPTIONS = {
    "line_conservation": "Every line read is valid, quarantined, a duplicate, unreadable or another day's.",
    "storage_security": ("Raw, export and shard buckets are encrypted by default (SSE-KMS) and not public, and no file of the home "
                         "is readable beyond its zone's readers (access.yaml); checked before any read or write."),
    "erasure_verified": "Nothing of an employee with withdrawn consent or an erasure request is left in any zone (rule 2).",
    "freshness": "Capture arrived for the day (a warning only, never blocking).",
    "scope_creep": "No event type, field or region outside the scope manifest, nor a line written to be read two ways (policy rule 1).",
    "contract_failure_rate": "Share of lines breaking capture format v1 within the manifest's threshold.",
    "promotion_conservation": "Every valid event is promoted or excluded under a named rule.",
    "residual_risk": "Rows still shaped like a protected value after redaction are withheld, within the manifest's residual_risk_max_rate (rule 5).",
    "leak_scan": "No PII, secret or directory identifier in any text column of the candidate (rules 3, 5).",
    "expectations": "The day's volume, mix and distributions stay within their Great Expectations bands against the recent published days.",
}
WARN_ONLY = frozenset({"freshness"})  # gates that warn and never block


@dataclass(frozen=True)
class Gate:
    name: str
    passed: bool
    description: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return self.name not in WARN_ONLY

    def named_counts(self) -> dict[str, int]:
        """The rule- or reason-named counts that are not zero: what broke a failed gate."""
        return {k: v for k, v in self.counts.items() if ":" in k and v}

    def verdict(self) -> str:
        """The one line a data engineer reads: the description, or, on failure, what broke it and how often
        (the rule- or reason-named counts that are not zero; the headline counts when a gate has none)."""
        if self.passed:
            return self.description
        named = self.named_counts()
        shown = ", ".join(f"{k} = {v:,}" for k, v in (named or self.counts).items())
        return f"{'Blocked' if self.blocking else 'Warning'}: {self.name} failed ({shown}). {self.description}"


def line_conservation(counts: dict[str, int], lines_landed: int) -> Gate:
    parts = ("valid", "quarantined", "duplicate", "unreadable", "other_day")
    accounted = sum(counts.get(k, 0) for k in parts)
    return Gate(
        "line_conservation",
        accounted == lines_landed == counts.get("lines_read", -1),
        DESCRIPTIONS["line_conservation"],
        {"lines_landed": lines_landed, "accounted": accounted, **{k: counts.get(k, 0) for k in parts}},
    )


def storage_security(findings: dict[str, list[str]]) -> Gate:
    """`findings`: per role (raw, export, shards) the rules its bucket breaks (`sluice.platform.bucket_security`), and
    under `home` the `zone:rule`s of the home's file modes (`sluice.platform.zone_access`)."""
    counts = {f"{role}:{rule}": 1 for role, rules in findings.items() for rule in rules}
    return Gate(
        "storage_security",
        not counts,
        DESCRIPTIONS["storage_security"],
        {"locations_checked": len(findings), "findings": len(counts), **counts},
    )


def erasure_verified(left: dict[str, int]) -> Gate:
    """`left`: what remains of erased employees, per place (raw, private tables, training tables, stale exports)."""
    return Gate(
        "erasure_verified",
        not any(left.values()),
        DESCRIPTIONS["erasure_verified"],
        {"left": sum(left.values()), **{f"left:{k}": v for k, v in left.items()}},
    )


def freshness(landing: dict[str, int]) -> Gate:
    """A day with no capture at all is suspicious, but never blocking: back-dated runs are fine."""
    return Gate(
        "freshness",
        landing.get("lines_in_folder", 0) > 0,
        DESCRIPTIONS["freshness"],
        {"batches": landing.get("batches", 0), "lines_in_folder": landing.get("lines_in_folder", 0)},
    )


EVASIONS = (":duplicate_key",)  # contract reasons that are also scope creep: a parser differential hides content


def scope_creep(counts: dict[str, int]) -> Gate:
    """Out-of-scope lines (`scope:*`), and lines written to be read two ways (a key given twice)."""
    creep = {k: v for k, v in counts.items() if k.startswith("reason:scope:") or k.endswith(EVASIONS)}
    return Gate(
        "scope_creep",
        sum(creep.values()) == 0,
        DESCRIPTIONS["scope_creep"],
        {"scope_creep": sum(creep.values()), **creep},
    )


def _within_rate(name: str, counted: str, count: int, judged: int, max_rate: float, named: dict[str, int]) -> Gate:
    """A gate on the share of `judged` that `count` is (in parts per million) against `max_rate`."""
    rate_ppm = round(1_000_000 * count / judged) if judged else 0
    return Gate(name, rate_ppm <= max_rate * 1_000_000, DESCRIPTIONS[name],
                {counted: count, "judged": judged, "rate_ppm": rate_ppm, "threshold_ppm": round(max_rate * 1_000_000), **named})


def contract_failure_rate(counts: dict[str, int], manifest: ScopeManifest) -> Gate:
    failed = sum(v for k, v in counts.items() if k.startswith("reason:contract:"))
    judged = counts.get("valid", 0) + counts.get("quarantined", 0)
    return _within_rate("contract_failure_rate", "contract_failures", failed, judged, manifest.max_contract_failure_rate, {})


def promotion_conservation(valid: int, transformed: dict[str, int]) -> Gate:
    excluded = sum(v for k, v in transformed.items() if k.startswith("excluded:"))
    return Gate(
        "promotion_conservation",
        valid == transformed.get("promoted", -1) + excluded,
        DESCRIPTIONS["promotion_conservation"],
        {"valid": valid, "promoted": transformed.get("promoted", 0), "excluded": excluded},
    )


def residual_risk(transformed: dict[str, int], manifest: ScopeManifest) -> Gate:
    """`transformed`: the transforms' counts (promoted, `excluded:residual_risk`, `withheld:<signal>`)."""
    withheld = transformed.get("excluded:residual_risk", 0)
    return _within_rate("residual_risk", "withheld", withheld, transformed.get("promoted", 0) + withheld,
                        manifest.residual_risk_max_rate, {k: v for k, v in transformed.items() if k.startswith("withheld:")})


def leak_scan(hits: dict[str, int]) -> Gate:
    """`hits`: per `<column>:<type>` of one candidate table, from `sluice.quality.leak_scan.scan_table`."""
    return Gate(
        "leak_scan",
        not any(hits.values()),
        DESCRIPTIONS["leak_scan"],
        {"hits": sum(hits.values()), **{f"leak:{k}": v for k, v in hits.items()}},
    )


def expectations(outcomes: list) -> Gate:
    """`outcomes`: `sluice.quality.expectations.Outcome`s of one table's suite. A figure outside its `block` band blocks
    the day (`blocked:<figure>`); outside its `warn` band it is counted (`warned:<figure>`) and the day publishes."""
    blocked = sorted({o.expectation for o in outcomes if not o.success and o.blocking})
    warned = sorted({o.expectation for o in outcomes if not o.success and not o.blocking})
    description = DESCRIPTIONS["expectations"] + (f" Warned: {', '.join(warned)}." if warned else "")
    return Gate(
        "expectations",
        not blocked,
        description,
        {"expectations": len(outcomes), "failed": len(blocked) + len(warned),
         **{f"blocked:{name}": 1 for name in blocked}, **{f"warned:{name}": 1 for name in warned}},
    )
