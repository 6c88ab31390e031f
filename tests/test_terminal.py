"""What a person sees of `sluice demo` / `sluice run` (issue 20): stage lines and the ending, no library
output, the logs in the run's folder; a bar on a terminal. The commands run as the user runs them."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import dagster as dg
from conftest import DAY
from helpers import identifiers

from assets.progress import batch_progress
from cli.output import captured
from cli.progress import STAGES, DayProgress, PlainLines, progress_logger, stage_of
from sluice.platform.errors import SluiceError
from sluice.simulate import simulate

SLUICE = Path(sys.executable).parent / "sluice"
LIBRARY_OUTPUT = re.compile(r"Warning|Traceback|Running with dbt|Registered adapter|^\s*\d+ of \d+ (START|OK|PASS)|"
                            r"dagster - (DEBUG|INFO)", re.MULTILINE)
SMALL_DEMO = ["--date", DAY.isoformat(), "--employees", "6", "--events-per-employee", "500"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_"))}
    return {**env, "SLUICE_HOME": str(home), **extra}


def _sluice(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    """`sluice <args>` piped (no terminal), as in CI."""
    return subprocess.run([str(SLUICE), *args], env=_env(home, **extra), capture_output=True, text=True, timeout=600)


def _run_logs(home: Path, out: str) -> Path:
    run_id = re.search(r"· run ([0-9a-f-]{36})", out)[1]
    return home / "logs" / run_id


def _stage_lines(out: str) -> dict[str, str]:
    return {stage: line for line in out.splitlines() for stage in STAGES if re.match(rf"[✓✗·] {stage}\s", line)}


def test_every_step_of_the_day_is_shown_under_a_stage():
    import definitions

    job = definitions.build_definitions().resolve_job_def("daily_publish")
    assert {stage_of(step) for step in job.graph.node_names()} == set(STAGES)


def _stages_of_a_run(fail_with: Exception | None = None) -> str:
    """Three steps named as the day's are (landing, contract, privacy), run by Dagster with the progress logger;
    the contract step's blocking check fails, or the step raises `fail_with`. What the plain display printed."""
    landed, validated = dg.AssetKey(["private", "landed_lines"]), dg.AssetKey(["private", "validated_events"])

    @dg.asset(key=landed, check_specs=[dg.AssetCheckSpec("freshness", asset=landed)])
    def landing(context):  # (unannotated: a nested function's string annotation does not resolve)
        report = batch_progress(context, every=0)
        report(1, 2, 6)
        report(2, 2, 10)
        yield dg.MaterializeResult(metadata={"lines_in_folder": 10, "batches": 2})
        yield dg.AssetCheckResult(check_name="freshness", passed=True)

    @dg.asset(key=validated, deps=[landed], check_specs=[dg.AssetCheckSpec("scope_creep", asset=validated, blocking=True)])
    def contract():
        if fail_with is not None:
            raise fail_with
        yield dg.MaterializeResult(metadata={"lines_read": 10, "valid": 7, "quarantined": 3})
        yield dg.AssetCheckResult(check_name="scope_creep", passed=False, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset(key=["private", "eligible_events"], deps=[validated])
    def privacy():
        return dg.MaterializeResult(metadata={"promoted": 7})

    printed = StringIO()
    stages = DayProgress(PlainLines(printed, every=0))
    job = dg.Definitions(assets=[landing, contract, privacy], jobs=[dg.define_asset_job("day")],
                         loggers={"progress": progress_logger(stages)}).resolve_job_def("day")
    job.execute_in_process(raise_on_error=False, run_config={"loggers": {"progress": {}}})
    stages.finish()
    return printed.getvalue()


def test_stage_lines_follow_the_runs_events():
    lines = _stages_of_a_run().splitlines()
    assert lines[:4] == ["  landing ...", "  landing: 1 of 2 batches, 6 lines (0 s)", "  landing: 2 of 2 batches, 10 lines (0 s)",
                         lines[3]] and re.fullmatch(r"✓ landing\s+[\d.]+ s  10 lines in 2 batches; 1 check passed", lines[3])
    assert lines[4] == "  contract and scope ..."
    assert re.fullmatch(r"✗ contract and scope\s+[\d.]+ s  7 valid of 10 lines, 3 quarantined; blocked by scope_creep", lines[5])
    not_run = [re.fullmatch(r"· (.+?)\s+not run", line)[1] for line in lines[6:]]
    assert not_run == [name for name in STAGES if name not in ("landing", "contract and scope")]  # privacy too: skipped


def test_a_failed_step_is_named_by_its_error_never_its_message():
    printed = _stages_of_a_run(SluiceError("raw_root_missing", "no folder for jane.doe@example.com"))
    failed = next(line for line in printed.splitlines() if line.startswith("✗"))
    assert re.fullmatch(r"✗ contract and scope\s+[\d.]+ s  failed: SluiceError\(raw_root_missing\)", failed)
    assert "jane" not in printed and "example.com" not in printed


def test_a_published_day_then_a_blocked_one_say_so_quietly(tmp_path):
    home = tmp_path / "home"
    done = _sluice(home, "demo", *SMALL_DEMO)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert not LIBRARY_OUTPUT.search(out + done.stderr), (out + done.stderr)[-3000:]
    assert len(out.splitlines()) <= 40, out
    stages = _stage_lines(out)
    assert set(stages) == set(STAGES) and all(line.startswith("✓") for line in stages.values()), out
    assert re.search(r"lines in \d+ batches", stages["landing"]) and re.search(r"[1-9][\d,]* rows published", stages["publish"])
    assert f"{DAY.isoformat()} PUBLISHED (exit 0)" in out and "Files:" in out and "Nothing was published" not in out
    logs = _run_logs(home, out)
    assert re.search(r"^\s*\d+ of \d+ (OK|PASS)", (logs / "run.log").read_text(), re.MULTILINE)  # dbt's lines went here
    assert (logs / "dbt.log").is_file()
    kept = "".join(f.read_text(errors="replace") for f in logs.iterdir())
    assert not [i for i in identifiers(home / "inbox") if i in kept], "an identifier of the day is in its logs"
    first_run = re.search(r"· run ([0-9a-f-]{36})", out)[1]
    marker = (home / "warehouse" / "training" / "_published" / f"{DAY.isoformat()}.json").read_bytes()

    creep = tmp_path / "creep"
    simulate(DAY, 2, creep, seed=99, events_per_employee=200, scope_creep=True)
    shutil.copytree(creep / "raw", home / "inbox" / "raw", dirs_exist_ok=True)
    blocked = _sluice(home, "run", "--date", DAY.isoformat())
    assert blocked.returncode == 3, blocked.stderr[-3000:]
    out, err = blocked.stdout, blocked.stderr
    assert not LIBRARY_OUTPUT.search(out + err), (out + err)[-3000:]
    assert re.search(r"^GATE FAILED private/validated_events:scope_creep: .*reason:scope:\w+=\d+", err, re.MULTILINE)
    stages = _stage_lines(out)
    assert stages["contract and scope"].startswith("✗") and "blocked by scope_creep" in stages["contract and scope"]
    assert all(stages[s].startswith("·") and stages[s].endswith("not run") for s in ("privacy", "dbt models", "gates", "publish"))
    ending = out[out.index(f"{DAY.isoformat()} BLOCKED by gates (exit 3)"):].splitlines()
    assert ending[1].startswith(f"Nothing was published: the last publication of {DAY.isoformat()} (run {first_run}")
    assert ending[1].endswith("is unchanged.") and "Files:" not in out
    run_id = _run_logs(home, out).name
    details = ending[2]
    assert details.startswith("Details: ") and f"ui --home {home}" in details
    assert f"http://127.0.0.1:3000/runs/{run_id}" in details
    assert (home / "warehouse" / "training" / "_published" / f"{DAY.isoformat()}.json").read_bytes() == marker


def test_a_failed_day_names_its_error_and_where_the_logs_are(tmp_path):
    home = tmp_path / "home"
    done = _sluice(home, "run", "--date", DAY.isoformat(), SLUICE_RAW=str(tmp_path / "no-such-folder"))
    assert done.returncode == 1
    out, err = done.stdout, done.stderr
    assert not LIBRARY_OUTPUT.search(out + err), (out + err)[-3000:]
    assert "ERROR SluiceError(raw_root_missing)" in err
    assert "failed: SluiceError(raw_root_missing)" in _stage_lines(out)["landing"]
    assert f"{DAY.isoformat()} FAILED (exit 1)" in out and f"{DAY.isoformat()} has no earlier publication" in out
    logs = Path(re.search(r"^Logs:\s+(\S+)/ ", out, re.MULTILINE)[1])
    assert logs == _run_logs(home, out) and "raw_root_missing" in (logs / "run.log").read_text()
    assert "dbt.log" not in out  # dbt never ran: only the files that are there are named

    verbose = _sluice(home, "run", "--date", DAY.isoformat(), "--verbose", SLUICE_RAW=str(tmp_path / "no-such-folder"))
    assert verbose.returncode == 1 and re.search(r"dagster - ERROR .* STEP_FAILURE", verbose.stderr), verbose.stderr[-2000:]


def _under_a_terminal(argv: list[str], env: dict[str, str], timeout: float = 600) -> tuple[int, str]:
    """Run `argv` with a pseudo-terminal as its stdin, stdout and stderr; what it drew, and its exit code."""
    leader, follower = pty.openpty()
    child = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    drawn, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([leader], [], [], 1)[0]:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        elif child.poll() is not None:
            break
    os.close(leader)
    return child.wait(timeout=60), drawn.decode("utf-8", "replace")


def test_on_a_terminal_the_stages_are_live_and_landing_has_a_bar(tmp_path):
    code, drawn = _under_a_terminal([str(SLUICE), "demo", *SMALL_DEMO],
                                    _env(tmp_path / "home", TERM="xterm-256color", COLUMNS="120"))
    assert code == 0, drawn[-3000:]
    assert re.search(r"✓ landing\s+\S*━{10,}", drawn), drawn[-3000:]  # the bar, full once landing is done
    assert "\x1b[" in drawn and "PUBLISHED (exit 0)" in drawn
    assert not LIBRARY_OUTPUT.search(drawn), drawn[-3000:]


def test_captured_output_goes_to_the_log_and_never_fails_on_it(tmp_path, capfd):
    log = tmp_path / "logs" / "run.log"
    with captured(log) as terminal:
        print("from python")
        os.write(1, b"from the descriptor\n")
        subprocess.run(["sh", "-c", "echo from a child; echo to stderr >&2"], check=True)
        subprocess.run([sys.executable, "-c", "import warnings; warnings.warn(\"a library's warning\")"], check=True)
        print("for the person", file=terminal, flush=True)
    kept = log.read_text()
    assert all(text in kept for text in ("from python", "from the descriptor", "from a child", "to stderr", "library's warning"))
    out, err = capfd.readouterr()
    assert out == "for the person\n" and err == ""

    with captured(Path("/proc/no-such-place/run.log")):  # a log that cannot be written loses its lines, nothing else
        print("lost")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
