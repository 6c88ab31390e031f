"""A live count on a terminal, for work outside a Dagster run that streams (`sluice import`: events written)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


@contextmanager
def counting(what: str, stream: TextIO) -> Iterator[Callable[[int], None]]:
    """On a terminal, a live count of `what` (the bar pulses: the total is not known ahead), gone when done;
    piped, nothing. Yields the callback that adds to the count."""
    if not stream.isatty():
        yield lambda n: None
        return
    progress = Progress(SpinnerColumn(), BarColumn(bar_width=24), TextColumn(f"{{task.completed:,.0f}} {what}"),
                        TimeElapsedColumn(), console=Console(file=stream), transient=True)
    task = progress.add_task(what, total=None)
    with progress:
        yield lambda n: progress.advance(task, n)
