"""Figures for one large simulated day (default 20M events), run as a user runs it: memory and spill.

    .venv/bin/python bench/large_day.py [--events 20000000] [--employees 500]

Simulates the day into a fresh temporary $SLUICE_HOME in its own process (not measured),
then runs `sluice run --date D` in a subprocess and samples, every 0.2 s, the RSS of that
process and of each of its descendants (dbt) and the disk used by the spill directory
($SLUICE_HOME/tmp). Prints the peaks, overall and per Dagster step, and the step times.
`SLUICE_MEMORY_LIMIT`, if set, reaches the run. The simulator has 624 distinct names, so a
large day has many events per employee (40,000 by default: about three hours of capture).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from pipeline_day import DAY, step_spans

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sluice.warehouse import MEMORY_LIMIT_ENV, duckdb_memory_limit  # noqa: E402

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


def _disk_bytes(path: Path) -> int:
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
    peaks.add(Sample(time.time(), main, largest, main + sum(s for s, _ in sizes), _disk_bytes(spill)), name)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLUICE_", "DAGSTER_HOME")) or k == MEMORY_LIMIT_ENV}
    env["SLUICE_HOME"] = str(home)
    return env


def _run(home: Path, peaks: Peaks) -> tuple[int, float, int, str]:
    """`sluice run` sampled until it exits: exit code, wall seconds, the kernel's high-water RSS of
    the largest single process in its tree (bytes) and its output."""
    log = home.parent / "run.log"
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "sluice.cli", "run", "--date", DAY.isoformat()],
                                 env=_env(home), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
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


def _latest_run_id(home: Path) -> str | None:
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
    return runs[0].run_id if runs else None


def _gib(n: int) -> str:
    return f"{n / GiB:.2f} GiB"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000_000)
    parser.add_argument("--employees", type=int, default=500)
    args = parser.parse_args()
    per_employee = -(-args.events // args.employees)
    base = Path(tempfile.gettempdir())
    free = shutil.disk_usage(base).free
    print(f"disk free in {base}: {_gib(free)}; this day needs about {_gib(args.events * DISK_PER_EVENT)}")
    if free < args.events * DISK_PER_EVENT:
        raise SystemExit("not enough free disk")
    with tempfile.TemporaryDirectory(prefix="sluice-large-day-") as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        simulated = subprocess.run([sys.executable, "-m", "sluice.cli", "simulate", "--date", DAY.isoformat(), "--employees",
                                    str(args.employees), "--events-per-employee", str(per_employee), "--seed", "1",
                                    "--out", str(home / "inbox")], env=_env(home), cwd=ROOT, check=True,
                                   stdout=subprocess.PIPE, text=True)
        sim_s = time.perf_counter() - started
        events = int(simulated.stdout.split()[1].replace(",", ""))  # "simulated N events in ..."
        print(f"simulate: {events:,} events, {args.employees} employees x {per_employee:,}, in {sim_s:.0f} s "
              f"(own process); inbox {_gib(_disk_bytes(home / 'inbox'))} on disk")

        print(f"run: {MEMORY_LIMIT_ENV}={duckdb_memory_limit()}, {os.cpu_count()} cores, sampling every {SAMPLE_S} s")
        peaks = Peaks()
        code, wall, high_water, output = _run(home, peaks)
        print(output if code else output[output.find("Sluice day"):].split("\nFiles:")[0])  # the day's counts
        print(f"exit {code}, {wall:.1f} s wall, {events / wall:,.0f} events/s")
        print(f"peak RSS: main {_gib(peaks.peak('main'))}, largest child {_gib(peaks.peak('child'))} ({peaks.child_name}), "
              f"tree {_gib(peaks.peak('tree'))}; kernel high-water of one process {_gib(high_water)}")
        print(f"peak spill ({home / 'tmp'}): {_gib(peaks.peak('spill'))}; "
              f"private zone {_gib(_disk_bytes(home / 'warehouse' / 'private.duckdb'))}")
        run_id = _latest_run_id(home)
        if run_id:
            print(f"  {'step':<44} {'time':>8} {'main':>10} {'tree':>10} {'spill':>10}")
            for step, (begin, end) in step_spans(run_id).items():
                print(f"  {step:<44} {end - begin:7.1f}s {_gib(peaks.peak('main', begin, end)):>10} "
                      f"{_gib(peaks.peak('tree', begin, end)):>10} {_gib(peaks.peak('spill', begin, end)):>10}")
        print(f"(this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GiB peak, not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
