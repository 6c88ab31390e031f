"""Sluice against its ceiling: a whole `sluice run` day and DuckDB reading the same batches straight to Parquet.

    .venv/bin/python bench/pipeline.py [--sizes 1000000,5000000,20000000] [--repeats 3]
                                       [--profile [--profile-out DIR]]

Simulates one day per size once (up to 500 employees, 2,000+ events each; not measured), then repeats:
(a) the ceiling: DuckDB (2 threads) `read_json` of the day's gzip JSONL batches with an explicit schema
    from the contract, COPY to Parquet, its row count checked against the simulator's;
(b) the whole day: `sluice run --date D` in a subprocess, on a fresh copy of the simulated inbox each time:
    its wall, the peak RSS of its process tree (sampled every 0.2 s) and of its largest single process,
    and each Dagster step's wall.
A tiny day (2 employees x 500 events) run as (b) gives the fixed cost of a run, in a fresh home and in a
home that ran before (the target: every day after the first); the variable rate of a size is
events / (wall - median fixed wall of a fresh home), as each measured day runs in a fresh home. Prints each figure as median (min-max) over the repeats, then
Markdown tables for bench/README.md with the targets marked PASS or MISS from the measured figures.
`--profile` adds one run of the first size under `py-spy record --subprocesses` (not in the figures): a
speedscope file in --profile-out and the 10 functions with the most own time.
Everything lives in a temporary folder under $TMPDIR, removed at the end: a 20M-event day needs ~21 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from measure import DAY, DISK_PER_EVENT, ROOT, GiB, Peaks, check_disk, latest_run_id, run_day, step_spans

from sluice.contract.models import PAYLOADS, TS_FORMAT, Event
from sluice.contract.vectorised import columns
from sluice.platform.home import SluiceHome
from sluice.simulate import simulate

MAX_EMPLOYEES = 500  # the simulator names at most 624 people
MIN_PER_EMPLOYEE = 2_000  # small sizes: fewer employees, not shorter days
TINY = (2, 500)  # employees x events each: the day that measures a run's fixed cost
THREADS = 2  # the machine's cores
START_UP, BETWEEN, AFTER = "(start-up, before the first step)", "(between steps)", "(after the last step: report)"
RAW_PER_EVENT = 100  # bytes of gzip JSONL (about 60): the simulated day, kept beside each run's copy

MAX_RATIO = 4.0  # Sluice's wall over the ceiling's
MIN_RATE, AT_RATE = 600_000, 5_000_000  # events/s end to end, at this size
MAX_FIXED_S = 30.0
MAX_TREE_RSS, AT_RSS = 2 * GiB, 20_000_000


@dataclass
class SluiceRun:
    wall: float
    tree_rss: int  # sampled peak of the whole process tree
    process_rss: int  # the kernel's high-water of its largest single process
    steps: dict[str, float]  # each Dagster step's wall, and the run's wall outside them (START_UP, BETWEEN, AFTER)


@dataclass
class Day:
    """One simulated day and its measurements, one per repeat."""

    size: int
    events: int
    ceiling: list[float] = field(default_factory=list)
    runs: list[SluiceRun] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)  # the tiny day: walls of the first run of a fresh home

    def walls(self) -> list[float]:
        return [run.wall for run in self.runs]

    def rates(self) -> list[float]:
        return [self.events / run.wall for run in self.runs]

    def ceiling_rates(self) -> list[float]:
        return [self.events / s for s in self.ceiling]

    def ratios(self) -> list[float]:
        """How many times the ceiling's time each run took (repeat i against ceiling i)."""
        return [run.wall / s for run, s in zip(self.runs, self.ceiling)]

    def variable(self, fixed_s: float) -> list[float] | None:
        """Events/s of each run once the fixed cost is taken off; None when a run is not longer than it."""
        extra = [wall - fixed_s for wall in self.walls()]
        return [self.events / s for s in extra] if min(extra) > 0 else None


def _spread(values: list[float], fmt: Callable[[float], str]) -> str:
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"


def _rate(x: float) -> str:
    return f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}"


def _times(x: float) -> str:
    return f"{x:.1f}x"


def _secs(x: float) -> str:
    return f"{x:.1f} s"


def _gib(x: float) -> str:
    return f"{x / GiB:.2f} GiB"


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def json_columns() -> str:
    """`read_json`'s explicit schema: the contract's top-level fields, and `payload` as a STRUCT of every payload field."""
    typed = columns()
    top = {name: typed[name] for name in Event.model_fields if name != "payload"}
    payload = {name: typed[name] for model in PAYLOADS.values() for name in model.model_fields}
    struct = ", ".join(f'"{name}" {sql_type}' for name, sql_type in payload.items())
    return "{" + ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in top.items()) + f", 'payload': 'STRUCT({struct})'}}"


def ceiling(inbox: Path, out: Path, events: int) -> float:
    """Seconds DuckDB takes from the day's batches to one Parquet file; exits if a row is missing."""
    files = sorted(inbox.glob(f"raw/date={DAY.isoformat()}/device=*/*.jsonl.gz"))
    file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    with duckdb.connect(config={"threads": THREADS}) as con:
        started = time.perf_counter()
        (rows,) = con.execute(f"COPY (SELECT * FROM read_json({file_list}, format='newline_delimited', compression='gzip', "
                              f"columns={json_columns()}, timestampformat='{TS_FORMAT}')) TO '{out}' (FORMAT parquet)").fetchone()
        seconds = time.perf_counter() - started
    out.unlink()
    if rows != events:
        raise SystemExit(f"ceiling read {rows:,} rows of {events:,} events")
    return seconds


def sluice_run(sim_home: Path, work: Path, wrapper: Sequence[str] = (), warm: bool = False) -> SluiceRun:
    """`sluice run` of the simulated day in a fresh home under `work` (removed after). `warm`: measure the
    home's second run of the day, as a long-lived home runs (dbt starts from the previous run's parse)."""
    home = work / "run" / "home"
    shutil.copytree(SluiceHome(sim_home).inbox, SluiceHome(home).inbox)
    try:
        if warm:
            run_day(home, DAY, Peaks(), wrapper)
        peaks = Peaks()
        started = time.time()
        code, wall, process_rss, output = run_day(home, DAY, peaks, wrapper)
        ended = time.time()
        if code != 0:
            raise SystemExit(f"sluice run exited {code}; the end of its output:\n{output[-3000:]}")
        spans = step_spans(latest_run_id(home))
        steps = {step: end - begin for step, (begin, end) in spans.items()}
        first, last = min(b for b, _ in spans.values()), max(e for _, e in spans.values())
        outside = {START_UP: first - started, AFTER: ended - last}
        return SluiceRun(wall, peaks.peak("tree"), process_rss,
                         {**steps, **outside, BETWEEN: ended - started - sum(steps.values()) - sum(outside.values())})
    finally:
        shutil.rmtree(home.parent)


def simulate_day(home: Path, size: int, employees: int, per_employee: int, label: str) -> Day:
    started = time.perf_counter()
    stats = simulate(DAY, employees, SluiceHome(home).inbox, seed=1, events_per_employee=per_employee)
    print(f"\n== {label}: {stats['events']:,} events ({employees} employees x {per_employee:,}, {stats['batches']:,} batches), "
          f"simulated in {time.perf_counter() - started:.1f} s ==")
    return Day(size, stats["events"])


def measure_fixed(work: Path, repeats: int) -> Day:
    """The tiny day in a fresh home (a first run: dbt parses the whole project) and in a home that ran before
    (every later day); the target is the latter's, the variable rates take off the former (each measured day
    runs in a fresh home too)."""
    day = simulate_day(work / "tiny", TINY[0] * TINY[1], *TINY, "tiny day, the fixed cost of a run")
    first = day.cold
    for i in range(repeats):
        first.append(sluice_run(work / "tiny", work).wall)
        day.runs.append(sluice_run(work / "tiny", work, warm=True))
        print(f"  repeat {i + 1}: sluice {first[-1]:.1f} s in a fresh home, {day.runs[-1].wall:.1f} s in a home that ran "
              f"before (load average {os.getloadavg()[0]:.1f})")
    shutil.rmtree(work / "tiny")
    fixed_s = statistics.median(day.walls())
    print(f"  first run of a home     {_spread(first, _secs)}")
    print(f"  fixed cost (wall)       {_spread(day.walls(), _secs)}  target <= {MAX_FIXED_S:.0f} s: {_mark(fixed_s <= MAX_FIXED_S)}")
    print_runs(day)
    return day


def measure(work: Path, size: int, repeats: int, profile_out: Path | None) -> Day:
    employees = max(1, min(MAX_EMPLOYEES, size // MIN_PER_EMPLOYEE))
    sim_home = work / "sim"
    day = simulate_day(sim_home, size, employees, -(-size // employees), f"{size:,} events")
    for i in range(repeats):
        day.ceiling.append(ceiling(SluiceHome(sim_home).inbox, work / "ceiling.parquet", day.events))
        day.runs.append(sluice_run(sim_home, work))
        print(f"  repeat {i + 1}: ceiling {day.ceiling[-1]:.1f} s, sluice {day.runs[-1].wall:.1f} s "
              f"(load average {os.getloadavg()[0]:.1f})")
    if profile_out:
        profile(sim_home, work, profile_out / f"sluice-run-{day.events}.speedscope.json")
    shutil.rmtree(sim_home)
    return day


def py_spy() -> str:
    """The py-spy beside this Python (the bench group), else on PATH."""
    found = shutil.which("py-spy", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if found is None:
        raise SystemExit("--profile needs py-spy: `uv sync --group bench` installs it in .venv, or put one on PATH")
    return found


def profile(sim_home: Path, work: Path, out: Path) -> None:
    """One `sluice run` under py-spy (every process of the tree); prints the functions with the most own time."""
    run = sluice_run(sim_home, work, [py_spy(), "record", "--subprocesses", "--format", "speedscope", "--output", str(out), "--"])
    data = json.loads(out.read_text())
    frames = data["shared"]["frames"]
    own: Counter[str] = Counter()
    for thread in data["profiles"]:  # one per thread of each process
        for stack, weight in zip(thread["samples"], thread["weights"]):
            frame = frames[stack[-1]]
            where = frame["file"].split("site-packages/")[-1].removeprefix(f"{ROOT}/")
            own[f"{frame['name']} ({where})" if where else f"(no Python frame) {frame['name'][:60]}"] += weight
    total = sum(own.values())
    print(f"  profile: {run.wall:.1f} s wall under py-spy (not in the figures), {total:.1f} s of samples -> {out}")
    print("  top 10 functions by own time (Python frames; time in DuckDB counts for its caller):")
    for name, seconds in own.most_common(10):
        print(f"    {seconds:7.1f} s {seconds / total:6.1%}  {name}")


def print_day(day: Day, fixed_s: float) -> None:
    ratio = statistics.median(day.ratios())
    print(f"  (a) ceiling             {_spread(day.ceiling_rates(), _rate)} events/s, wall {_spread(day.ceiling, _secs)}")
    print(f"  (b) sluice run          {_spread(day.rates(), _rate)} events/s, wall {_spread(day.walls(), _secs)}")
    print(f"  ratio (a)/(b)           {_spread(day.ratios(), _times)}  target <= {MAX_RATIO:.0f}x: {_mark(ratio <= MAX_RATIO)}")
    rates = day.variable(fixed_s)
    if rates:
        print(f"  variable sluice rate    {_spread(rates, _rate)} events/s, "
              f"ceiling / variable {_spread([c / v for c, v in zip(day.ceiling_rates(), rates)], _times)}")
    else:
        print(f"  variable sluice rate    n/a (a run took no longer than the fixed {fixed_s:.1f} s)")
    print_runs(day)


def print_runs(day: Day) -> None:
    print(f"  peak RSS, process tree  {_spread([r.tree_rss for r in day.runs], _gib)}")
    print(f"  peak RSS, one process   {_spread([r.process_rss for r in day.runs], _gib)}")
    for step, seconds in step_times(day).items():
        print(f"    {step:<40} {_spread(seconds, _secs)}")


def step_times(day: Day) -> dict[str, list[float]]:
    """Each step's wall per run, start-up first."""
    order = [START_UP, *(step for step in day.runs[0].steps if step not in (START_UP, BETWEEN, AFTER)), BETWEEN, AFTER]
    return {step: [run.steps[step] for run in day.runs] for step in order}


def summary(days: list[Day], fixed: Day) -> None:
    fixed_s = statistics.median(fixed.cold)  # each measured day runs in a fresh home too
    print("\n## Summary (median (min-max) over the repeats)\n")
    print("| events | ceiling events/s | Sluice events/s | ratio | variable events/s | ceiling / variable | tree RSS | one process |")
    print("|---|---|---|---|---|---|---|---|")
    for day in days:
        rates = day.variable(fixed_s)
        print(f"| {day.events:,} | {_spread(day.ceiling_rates(), _rate)} | {_spread(day.rates(), _rate)} "
              f"| {_spread(day.ratios(), _times)} | {_spread(rates, _rate) if rates else 'n/a'} "
              f"| {_spread([c / v for c, v in zip(day.ceiling_rates(), rates)], _times) if rates else 'n/a'} "
              f"| {_spread([r.tree_rss for r in day.runs], _gib)} | {_spread([r.process_rss for r in day.runs], _gib)} |")

    everyone = [fixed, *days]
    print(f"\n| step | {' | '.join(f'{d.events:,} events' for d in everyone)} |")
    print(f"|---|{'---|' * len(everyone)}")
    times = [step_times(d) for d in everyone]
    for step in dict.fromkeys(step for t in times for step in t):
        print(f"| {step} | {' | '.join(_spread(t[step], _secs) if step in t else '' for t in times)} |")

    print("\n| target | measured | |\n|---|---|---|")
    for day in days:
        ratio = statistics.median(day.ratios())
        print(f"| Sluice <= {MAX_RATIO:.0f}x the ceiling's time, {day.events:,} events | {_times(ratio)} | {_mark(ratio <= MAX_RATIO)} |")
    print(target(days, AT_RATE, f">= {MIN_RATE:,} events/s end to end",
                 lambda d: statistics.median(d.rates()), _rate, lambda x: x >= MIN_RATE))
    warm_s = statistics.median(fixed.walls())
    print(f"| fixed cost (tiny day, {fixed.events:,} events, a home that ran before) <= {MAX_FIXED_S:.0f} s | {_secs(warm_s)} "
          f"| {_mark(warm_s <= MAX_FIXED_S)} |")
    print(f"| the same, first run of a fresh home | {_secs(fixed_s)} | {_mark(fixed_s <= MAX_FIXED_S)} |")
    print(target(days, AT_RSS, f"peak RSS of the tree <= {MAX_TREE_RSS / GiB:g} GiB",
                 lambda d: max(r.tree_rss for r in d.runs), _gib, lambda x: x <= MAX_TREE_RSS))


def target(days: list[Day], size: int, name: str, value: Callable[[Day], float], fmt: Callable[[float], str],
           ok: Callable[[float], bool]) -> str:
    """A target row for the day of `size` events, or "not measured" when --sizes did not include it."""
    day = next((d for d in days if d.size == size), None)
    if day is None:
        return f"| {name} at {size:,} | not measured | |"
    return f"| {name} at {size:,} ({day.events:,} events) | {fmt(value(day))} | {_mark(ok(value(day)))} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,5000000,20000000", help="events per day, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also one run of the first size under py-spy")
    parser.add_argument("--profile-out", type=Path, default=Path(tempfile.gettempdir()) / "sluice-profiles",
                        help="where the profile goes (default $TMPDIR/sluice-profiles)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    sys.stdout.reconfigure(line_buffering=True)
    base = Path(tempfile.gettempdir())
    check_disk(base, max(sizes) * (DISK_PER_EVENT + RAW_PER_EVENT))
    if args.profile:
        print(f"profiler: {py_spy()}")
        args.profile_out.mkdir(parents=True, exist_ok=True)
    print(f"DuckDB {duckdb.__version__}, {THREADS} threads for the ceiling; {args.repeats} repeats; day {DAY}")
    with tempfile.TemporaryDirectory(prefix="sluice-pipeline-bench-", dir=base) as tmp:
        work = Path(tmp)
        fixed = measure_fixed(work, args.repeats)
        days = []
        for i, size in enumerate(sizes):
            days.append(measure(work, size, args.repeats, args.profile_out.absolute() if args.profile and i == 0 else None))
            print_day(days[-1], statistics.median(fixed.cold))
    summary(days, fixed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
