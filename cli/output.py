"""Quiet by default: while a run runs, everything the libraries print (Dagster's log, dbt's lines, warnings,
tracebacks, child processes) goes to the run's log file instead of the terminal; `sluice run` keeps the
terminal for its own stage lines and ending. `--verbose` (or SLUICE_LOG_LEVEL=debug) echoes it all too.

Descriptors 1 and 2 are pointed at a pipe drained by a thread into the file: a log that cannot be written
(a full or read-only disk) loses its lines, never fails the run."""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

LOG_LEVEL_ENV = "SLUICE_LOG_LEVEL"
RUN_LOG = "run.log"


def verbose() -> bool:
    return os.environ.get(LOG_LEVEL_ENV, "").lower() == "debug"


def _terminal() -> TextIO:
    """The terminal as it is now, kept apart from descriptor 1 (captured by a test when it has none)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return sys.stdout
    return open(os.dup(fd), "w", buffering=1, encoding="utf-8", errors="replace")


def _drain(read_fd: int, log: Path, echo_fd: int | None) -> None:
    """Copy the pipe into `log` (and `echo_fd`) until its last writer closes it; write errors drop lines."""
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        sink = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError:
        sink = None
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(65536):
            for fd in (sink, echo_fd):
                if fd is not None:
                    try:
                        os.write(fd, chunk)
                    except OSError:
                        pass
    if sink is not None:
        os.close(sink)


@contextmanager
def captured(log: Path, echo: bool = False) -> Iterator[TextIO]:
    """Descriptors 1 and 2 and `sys.stdout`/`sys.stderr` into `log` (and to stderr too with `echo`); yields
    the terminal, for what is meant for the person running the command."""
    sys.stdout.flush()
    sys.stderr.flush()
    terminal = _terminal()
    saved = os.dup(1), os.dup(2)
    read_fd, write_fd = os.pipe()
    drain = threading.Thread(target=_drain, args=(read_fd, log, saved[1] if echo else None), daemon=True)
    drain.start()
    os.dup2(write_fd, 1)
    os.dup2(write_fd, 2)
    os.close(write_fd)
    streams = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    try:
        yield terminal
    finally:
        sys.stdout.flush()
        sys.stdout, sys.stderr = streams
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        drain.join(timeout=5)  # the pipe ends when its last writer is gone
        for fd in saved:
            os.close(fd)
        if terminal is not streams[0]:
            terminal.close()
