"""`sluice`: simulate capture, run a day through Dagster, run the demo, open the UI.

Exit codes of `sluice run` / `sluice demo`: 0 published, 3 blocked by a gate, 1 error.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cli.output import LOG_LEVEL_ENV
from sluice.platform.errors import STORAGE_CODES, STORAGE_HINT, SluiceError, storage_error

EXIT_PUBLISHED, EXIT_ERROR, EXIT_BLOCKED = 0, 1, 3
PROJECT_ROOT = Path(__file__).resolve().parent.parent  # workspace.yaml, orchestration/, assets/, dbt_project/
VERBOSE_HELP = ("also show Dagster's and dbt's logs and the libraries' warnings (as SLUICE_LOG_LEVEL=debug); "
                "they are in $SLUICE_HOME/logs/<run>/ either way")
UI = "http://127.0.0.1:3000"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected YYYY-MM-DD") from None


def _yesterday() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=1)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sluice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="write one simulated day of capture (format v1) with ground truth")
    sim.add_argument("--date", type=_date, required=True)
    sim.add_argument("--employees", type=int, required=True)
    sim.add_argument("--out", type=Path, required=True)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--events-per-employee", type=int, default=5_000)
    sim.add_argument("--scope-creep", action="store_true", help="add undeclared event types, a field and a non-US device")
    sim.add_argument("--canaries", action="store_true", help="plant labelled tokens in excluded and in allowed content")

    run = sub.add_parser("run", help="materialize one day through Dagster; exit 0 published, 3 blocked, 1 error")
    run.add_argument("--date", type=_date, required=True)
    run.add_argument("--raw", help="raw root, a folder or s3://bucket/prefix (default $SLUICE_RAW or $SLUICE_HOME/inbox/raw)")
    run.add_argument("--export", help="also export the training zone to s3://bucket/prefix (default $SLUICE_EXPORT)")
    run.add_argument("--directory", help="directory CSV (default $SLUICE_DIRECTORY or $SLUICE_HOME/inbox/directory.csv)")
    run.add_argument("--home", type=Path, help="default $SLUICE_HOME or ./.sluice")
    run.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)

    demo = sub.add_parser("demo", help="simulate a day into $SLUICE_HOME/inbox and run it")
    demo.add_argument("--date", type=_date, default=None, help="default: yesterday (UTC)")
    demo.add_argument("--employees", type=int, default=25)
    demo.add_argument("--events-per-employee", type=int, default=4_000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--home", type=Path)
    demo.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)

    redact = sub.add_parser("redact", help="JSON Lines {text} on stdin -> redacted {text, findings} on stdout")
    redact.add_argument("--directory", type=Path, help="directory CSV whose names, handles and emails are redacted too")

    shard = sub.add_parser("shard", help="land and validate one device shard of a day (SLUICE_SHARDS > 1); `run` starts them")
    shard.add_argument("--date", type=_date, required=True)
    shard.add_argument("--shard", type=int, required=True)

    report = sub.add_parser("report", help="transparency report for one employee (Markdown, or JSON with --json)")
    report.add_argument("--employee", required=True)
    report.add_argument("--json", action="store_true")
    report.add_argument("--home", type=Path)

    audit_cmd = sub.add_parser("audit", help="the audit log: `verify` checks its hash chain (exit 0 intact, 3 broken)")
    audit_cmd.add_argument("action", choices=["verify"])
    audit_cmd.add_argument("--home", type=Path)

    access = sub.add_parser("access", help="who may read which zone, and what the home's file modes break of it (exit 3)")
    access.add_argument("--iam", action="store_true", help="the IAM identity policy of each role for the S3 locations, as JSON")
    access.add_argument("--home", type=Path)

    from sluice.importers.command import add_import_parser

    add_import_parser(sub)  # sluice import openadapt|ducktrack

    ui = sub.add_parser("ui", help="dagster dev on 127.0.0.1 over $SLUICE_HOME's instance")
    ui.add_argument("--port", type=int, default=3000)
    ui.add_argument("--home", type=Path)
    return parser


def _simulate(args: argparse.Namespace) -> int:
    from sluice.simulate import simulate

    stats = simulate(args.date, args.employees, args.out, seed=args.seed,
                     events_per_employee=args.events_per_employee, scope_creep=args.scope_creep,
                     canaries=args.canaries)
    print(f"simulated {stats['events']:,} events in {stats['batches']:,} batches for {stats['employees']} employees -> {args.out}")
    return 0


def run_and_report(day: date) -> int:
    """Run day D and end honestly: the failing gates or the error first, then what was published and where,
    or that nothing was (and what stands instead), and where to look."""
    from cli.runner import run_day
    from sluice.platform.home import SluiceHome
    from sluice.publish.figures import nothing_published

    outcome = run_day(day)
    home = SluiceHome.from_env()
    code = _report_failures(outcome)
    status = {EXIT_PUBLISHED: "PUBLISHED", EXIT_BLOCKED: "BLOCKED by gates", EXIT_ERROR: "FAILED"}[code]
    print(f"\n{day.isoformat()} {status} (exit {code}) · run {outcome.run_id}")
    if code == EXIT_PUBLISHED:
        print(_published(day, home))
    else:
        print(nothing_published(day, home))
        print(f"Details: {_command()} ui --home {home.root}  -> {UI}/runs/{outcome.run_id if outcome.logs else ''}")
        print(f"Logs:    {_logs(outcome.logs) if outcome.logs else f'{home.root}/logs/<run>/ (one folder per shard run)'}")
    if outcome.rebuilt:
        print("Rebuilt after the erasure: " + ", ".join(f"{d} (exit {c})" for d, c in sorted(outcome.rebuilt.items())))
    return code


def _published(day: date, home) -> str:
    from orchestration.resources import keys_resource
    from sluice.platform.warehouse import private_zone
    from sluice.publish.figures import day_counts, render

    with private_zone(home.private_db, keys_resource(resolved=True).get().encryption, home.spill) as con:
        return render(day, day_counts(con, day), home)


def _logs(folder: Path) -> str:
    kept = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return f"{folder}/ ({', '.join(kept) or 'none could be written'})"


def _command() -> str:
    """This `sluice`, as the person can type it from here."""
    command = Path(sys.executable).parent / "sluice"
    relative = os.path.relpath(command)
    return relative if not relative.startswith("..") else str(command)


def _report(layout, employee_id: str, as_json: bool) -> int:
    from orchestration.resources import keys_resource
    from sluice.lifecycle import transparency
    from sluice.platform.settings import DIRECTORY_ENV
    from sluice.platform.warehouse import private_zone
    from sluice.policy.scope import default_manifest
    from sluice.privacy.transforms import load_directory

    if not layout.private_db.exists():
        raise SluiceError("private_zone_missing", "no day has been run in this home")
    keys = keys_resource(resolved=True).get()
    with private_zone(layout.private_db, keys.encryption, layout.spill) as con:
        load_directory(con, Path(os.environ[DIRECTORY_ENV]))
        found = transparency.employee_report(con, layout, employee_id, keys.pseudonym, default_manifest())
    print(transparency.as_json(found) if as_json else transparency.markdown(found))
    return EXIT_PUBLISHED


def _verify_audit(layout) -> int:
    from sluice.lifecycle import audit

    broken = audit.verify(layout.audit_log)
    if broken is not None:
        print(f"audit log BROKEN at record {broken}: edited, removed or inserted ({layout.audit_log})")
        return EXIT_BLOCKED
    print(f"audit log intact: {len(audit.read(layout.audit_log))} records, hash chain verified ({layout.audit_log})")
    return EXIT_PUBLISHED


def _report_failures(outcome) -> int:
    for gate, gate_counts in outcome.failed_gates.items():
        detail = ", ".join(f"{k}={v}" for k, v in gate_counts.items())
        print(f"GATE FAILED {gate}: {detail}", file=sys.stderr, flush=True)
    for error in outcome.errors:
        print(f"ERROR {error}", file=sys.stderr, flush=True)
    if any(code in error for error in outcome.errors for code in STORAGE_CODES.values()):
        print(f"sluice: {STORAGE_HINT}", file=sys.stderr)
    return outcome.exit_code


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # whatever a sluice command writes (simulated or imported batches too) is its user's alone
    args = _parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "import":
            from cli.counting import counting
            from sluice.importers.command import run_import

            with counting("events written", sys.stdout) as written:
                return run_import(args, on_written=written)
        if args.command == "redact":
            from cli.redact import run as redact

            return redact(args.directory)
        if args.command == "access":  # before configure: it reports the modes as they are, and changes none
            from cli.access import show
            from sluice.platform.home import SluiceHome

            if args.home:
                os.environ["SLUICE_HOME"] = str(args.home.absolute())
            return show(SluiceHome.from_env(), args.iam)
        if getattr(args, "verbose", False):
            os.environ[LOG_LEVEL_ENV] = "debug"  # the shard processes a run starts see it too
        from sluice.platform.settings import configure

        layout = configure(getattr(args, "home", None), getattr(args, "raw", None), getattr(args, "directory", None), getattr(args, "export", None))
        if args.command in ("run", "shard", "demo"):
            layout.check_writable()
        if args.command == "run":
            return run_and_report(args.date)
        if args.command == "report":
            return _report(layout, args.employee, args.json)
        if args.command == "audit":
            return _verify_audit(layout)
        if args.command == "shard":
            from cli.runner import run_shard

            return _report_failures(run_shard(args.date, args.shard))
        if args.command == "demo":
            from sluice.simulate import simulate

            day = args.date or _yesterday()
            stats = simulate(day, args.employees, layout.inbox, seed=args.seed, events_per_employee=args.events_per_employee)
            print(f"simulated {stats['events']:,} events from {stats['employees']} employees into {layout.inbox}")
            return run_and_report(day)
        # The venv's own dagster, by path (whatever PATH says), over the project's workspace (from any directory).
        os.chdir(PROJECT_ROOT)
        os.execv(Path(sys.executable).parent / "dagster",
                 ["dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(args.port)])
    except OSError as exc:  # the home's storage: full, read-only
        return _fail(storage_error(exc))
    except SluiceError as exc:
        return _fail(exc)
    return EXIT_ERROR


def _fail(exc: SluiceError) -> int:
    print(f"sluice: {exc}", file=sys.stderr)
    if exc.code in STORAGE_CODES.values():
        print(f"sluice: {STORAGE_HINT}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
