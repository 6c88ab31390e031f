"""Progress of a step that streams batches, as Dagster log messages: the run's log in the UI says how far
landing is, and `sluice run` draws its bar from the same messages (their `extra` carries the figures)."""

from __future__ import annotations

import time
from collections.abc import Callable

import dagster as dg

PROGRESS = "sluice_progress"  # the `extra` key of a progress message: {"done", "total", "lines"}
EVERY_SECONDS = 0.5


def batch_progress(context: dg.AssetExecutionContext, every: float = EVERY_SECONDS) -> Callable[[int, int, int], None]:
    """A `(batches read, batches in all, lines read)` callback that logs at most every `every` seconds,
    and always the last batch."""
    last = 0.0

    def report(done: int, total: int, lines: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done < total and now - last < every:
            return
        last = now
        context.log.debug(f"read {done:,} of {total:,} batches ({lines:,} lines)",
                          extra={PROGRESS: {"done": done, "total": total, "lines": lines}})

    return report
