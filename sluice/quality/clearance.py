"""The publisher's own look at the gates: a day is published only when every blocking check it
requires ran in this very run and passed, and no blocking check of the run failed.

This is the second of two independent guards. The first is the orchestrator's wiring: every candidate
is upstream of the publish step, so a failed blocking check skips it. The second does not trust that
wiring: the publish step reads this run's check evaluations from the Dagster event log and hands them
over as a `Clearance`; `publish_day` refuses before it writes anything unless it is cleared.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sluice.platform.errors import SluiceError

REFUSED = "gates_not_cleared"  # the code of the publisher's refusal: `sluice run` reports it as a block (exit 3)


@dataclass(frozen=True)
class Clearance:
    """`required`: the blocking checks the day's candidates depend on (`asset/key:check` names);
    `passed` and `failed`: the blocking checks evaluated in this run, by outcome."""

    required: frozenset[str]
    passed: frozenset[str]
    failed: frozenset[str]

    @classmethod
    def of(cls, required: Iterable[str], evaluations: Iterable[tuple[str, bool]]) -> "Clearance":
        """From the required checks and this run's (check, passed) evaluations of blocking checks."""
        evaluated = list(evaluations)
        return cls(frozenset(required), frozenset(c for c, ok in evaluated if ok), frozenset(c for c, ok in evaluated if not ok))

    @property
    def did_not_run(self) -> frozenset[str]:
        return self.required - self.passed - self.failed

    @property
    def cleared(self) -> bool:
        """Fail closed: nothing required (the publisher knows of no gate) is not cleared either."""
        return bool(self.required) and not self.failed and not self.did_not_run

    def counts(self) -> dict[str, int]:
        return {"required": len(self.required), "passed": len(self.required & self.passed), "failed": len(self.failed),
                "did_not_run": len(self.did_not_run)}

    def refusal(self) -> SluiceError:
        return SluiceError(REFUSED, ", ".join(f"{k}={v}" for k, v in self.counts().items()))
