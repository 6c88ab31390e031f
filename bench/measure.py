"""What the benchmarks measure of one `sluice run` in a subprocess, shared by `large_day.py` and `pipeline.py`.

`run_day` starts it in its own `$SLUICE_HOME` and samples, every 0.2 s, the RSS of the process and
of each of its descendants (dbt) and the disk used by the spill directory (`$SLUICE_HOME/tmp`);
`latest_run_id` finds its Dagster run, whose step times `step_spans` reads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sluice.platform.warehouse import MEMORY_LIMIT_ENV  # noqa: E402

DAY = date(2026, 11, 2)  # the simulated day every benchmark runs
SAMPLE_S = 0.2
DISK_PER_EVENT = 1_000  # bytes: raw gzip, private zone, spill and training Parquet, with room to spare
GiB = 1024**3


@dataclass
class Sample:
    at: float
    main: int
    child: int
    tree: int
    spill: int


@dataclass
class Peaks:
    samples: list[Sample] = field(default_factory=list)
    child_name: str = ""

    def add(self, sample: Sample, child_name: str) -> None:
        if sample.child > max((s.child for s in self.samples), default=0):
            self.child_name = child_name
        self.samples.append(sample)

    def peak(self, attr: str, begin: float = 0.0, end: float = float("inf")) -> int:
        return max((getattr(s, attr) for s in self.samples if begin <= s.at <= end), default=0)


def gib(n: float) -> str:
    return f"{n / GiB:.2f} GiB"


def check_disk(where: Path, needed: int) -> None:
    """Exit with a clear message when `where`'s file system has less than `needed` bytes free."""
    free = shutil.disk_usage(where).free
    print(f"disk free in {where}: {gib(free)}; this needs about {gib(needed)}")
    if free < needed:
        raise SystemExit(f"not enough free disk in {where}: {gib(needed)} needed, {gib(free)} free "
                         "(point TMPDIR at a larger disk, or measure fewer events)")


def disk_bytes(path: Path) -> int:
    """Disk blocks used by a file or by every file under a folder."""
    paths = [path] if path.is_file() else (Path(parent, name) for parent, _, files in os.walk(path) for name in files)
    total = 0
    for file in paths:
        try:
            total += file.stat().st_blocks * 512
        except FileNotFoundError:  # a spill file removed while we walked
            pass
    return total


def _sample(proc: psutil.Process, spill: Path, peaks: Peaks) -> None:
    try:
        main = proc.memory_info().rss
        children = proc.children(recursive=True)
    except psutil.Error:
        return
    sizes: list[tuple[int, str]] = []
    for child in children:
        try:
            sizes.append((child.memory_info().rss, " ".join(child.cmdline()[:2])))
        except psutil.Error:
            pass
    largest, name = max(sizes, default=(0, ""))
    peaks.add(Sample(time.time(), main, largest, main + sum(s for s, _ in sizes), disk_bytes(spill)), name)


def sluice_env(home: Path) -> dict[str, str]:
    """This environment without Sluice's and Dagster's settings (but the memory limit), for a run in `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_HOME")) or k == MEMORY_LIMIT_ENV}
    env["SLUICE_HOME"] = str(home)
    return env


def run_day(home: Path, day: date, peaks: Peaks, wrapper: Sequence[str] = ()) -> tuple[int, float, int, str]:
    """`sluice run --date day` in `home` (started under `wrapper`, a profiler, if given), sampled until it
    exits: exit code, wall seconds, the kernel's high-water RSS of the largest single process in its tree
    (bytes) and its output."""
    log = home.parent / "run.log"
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen([*wrapper, sys.executable, "-m", "cli.main", "run", "--date", day.isoformat()],
                                 env=sluice_env(home), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        proc = psutil.Process(child.pid)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            _sample(proc, home / "tmp", peaks)
            time.sleep(SAMPLE_S)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, wall, usage.ru_maxrss * 1024, log.read_text()


def latest_run_id(home: Path) -> str | None:
    """The last Dagster run of `home`'s instance; also points `$DAGSTER_HOME` of this process at it."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
    return runs[0].run_id if runs else None


def step_spans(run_id: str) -> dict[str, tuple[float, float]]:
    """Each step's start and end (Unix time) from the event log of `$DAGSTER_HOME`'s instance, in start order."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.all_logs(run_id)
    begins = {r.step_key: r.timestamp for r in records if r.dagster_event and r.dagster_event.event_type_value == "STEP_START"}
    ends = {r.step_key: r.timestamp for r in records if r.dagster_event and r.dagster_event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")}
    return {step: (begins[step], ends.get(step, begins[step])) for step in sorted(begins, key=begins.get)}
