"""`sluice import openadapt|ducktrack`: a recording of another recorder -> capture batches in a raw root."""

from __future__ import annotations

import argparse
import errno
from collections.abc import Callable
from pathlib import Path

from sluice.platform.errors import SluiceError

DEFAULT_APP = "unknown"


def add_import_parser(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="convert an OpenAdapt or DuckTrack recording into capture-format v1 batches")
    recorders = imp.add_subparsers(dest="recorder", required=True)
    for recorder, source, what in (("openadapt", "DB", "an OpenAdapt recording database (SQLite)"),
                                   ("ducktrack", "DIR", "a DuckTrack recording folder (events.jsonl, metadata.json)")):
        p = recorders.add_parser(recorder, help=f"import {what}")
        p.add_argument("source", type=Path, metavar=source)
        p.add_argument("--employee", required=True, help="employee_id of the person recorded (as in the directory)")
        p.add_argument("--device", default=f"imported-{recorder}", help=f"device_id (default imported-{recorder})")
        p.add_argument("--region", default="US", help="ISO 3166-1 alpha-2 region of the device (default US)")
        p.add_argument("--session", help="session_id (default: a uuid5 of the recorder and the recording's start)")
        p.add_argument("--out", type=Path, required=True, help="raw root to write date=D/device=X/<batch>.jsonl.gz into")
        p.add_argument("--app", default=DEFAULT_APP, help=f"app of events without window information (default {DEFAULT_APP})")
        if recorder == "ducktrack":
            p.add_argument("--timezone", default="UTC", help="IANA zone of metadata.json's start_time (default UTC)")


def run_import(args: argparse.Namespace, on_written: Callable[[int], None] | None = None) -> int:
    """The import `args` name; `on_written(events)` as each batch is written (the command's progress)."""
    from sluice.importers.ducktrack import import_ducktrack
    from sluice.importers.openadapt import import_openadapt

    common = dict(employee=args.employee, device=args.device, region=args.region, session=args.session,
                  out=args.out, app=args.app, on_written=on_written)
    try:
        if args.recorder == "openadapt":
            counts = import_openadapt(args.source, **common)
        else:
            counts = import_ducktrack(args.source, timezone=args.timezone, **common)
    except OSError as exc:  # its text names paths, and paths name people and days: the errno only
        name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
        raise SluiceError("import_io_failed", f"{name} (reading the recording or writing --out)") from None
    print(render(args.recorder, counts, args.out))
    return 0


def render(recorder: str, counts: dict[str, int], out: Path) -> str:
    lines = [f"imported {recorder}: {counts['events']:,} events in {counts['batches']:,} batches -> {out}"]
    lines += [f"  {name:<45} {n:>9,}" for name, n in counts.items() if name not in ("events", "batches")]
    return "\n".join(lines)
