"""What `sluice run` shows while a day runs: one line per stage as it starts and ends, with its time, the
rows it handled and its gates, and a bar for landing, which streams batches. It is driven by the run's own
Dagster events (step start and end, materializations, check evaluations, the landing step's progress
messages), received by a Dagster logger: what the terminal says is what the UI's run log says.

On a terminal the stages are live lines (`rich`); piped or in CI, plain lines."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol, TextIO

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from assets.progress import PROGRESS
from cli.events import is_refusal, safe_error_name

STAGES = ("landing", "erasure", "contract and scope", "privacy", "dbt models", "gates", "publish")
STEP_STAGES = {
    "private__landed_lines": "landing",
    "lifecycle__erasure": "erasure",
    "private__validated_events": "contract and scope",
    "private__validated_events_expectations": "contract and scope",
    "private__eligible_events": "privacy",
    "sluice_dbt_models": "dbt models",
    "publish__published_day": "publish",
}
CANDIDATE_GATES = ("_leak_scan", "_expectations")  # the steps of every candidate table's checks (assets/checks.py)
DONE, BLOCKED, FAILED, NOT_RUN = "done", "blocked", "failed", "not run"
MARKS = {DONE: "✓", BLOCKED: "✗", FAILED: "✗", NOT_RUN: "·"}
PLAIN_EVERY_SECONDS = 10.0  # how often a piped landing says how far it is


def stage_of(step_key: str) -> str:
    """The stage a step belongs to; a step no stage names is shown under its own name."""
    if step_key in STEP_STAGES:
        return STEP_STAGES[step_key]
    return "gates" if step_key.endswith(CANDIDATE_GATES) else step_key


@dataclass
class Stage:
    name: str
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    figures: Counter = field(default_factory=Counter)  # the int metadata of its materializations, summed
    materialized: int = 0
    checks: int = 0
    blocked_by: list[str] = field(default_factory=list)  # failed blocking checks (rule names)
    warned_by: list[str] = field(default_factory=list)
    error: str | None = None
    streams: bool = False

    @property
    def outcome(self) -> str:
        if self.blocked_by:
            return BLOCKED
        return FAILED if self.error else DONE

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def rows(self) -> str:
        f = self.figures
        excluded = sum(n for k, n in f.items() if k.startswith("excluded:"))
        return {
            "landing": f"{f['lines_in_folder']:,} lines in {f['batches']:,} batches",
            "erasure": f"{f['subjects']:,} people, {f['raw_lines_erased']:,} raw lines erased",
            "contract and scope": f"{f['valid']:,} valid of {f['lines_read']:,} lines, {f['quarantined']:,} quarantined",
            "privacy": f"{f['promoted']:,} promoted, {excluded:,} excluded",
            "dbt models": f"{self.materialized} models, {f['dagster/row_count']:,} rows",
            "gates": "",
            "publish": f"{sum(f.values()):,} rows published",
        }.get(self.name, f"{self.materialized} materialized")

    def verdict(self) -> str:
        if self.blocked_by:
            return "blocked by " + ", ".join(sorted(set(self.blocked_by)))
        if self.error:
            return f"failed: {self.error}"
        warned = "warned by " + ", ".join(sorted(set(self.warned_by))) if self.warned_by else ""
        passed = f"{self.checks} {'check' if self.checks == 1 else 'checks'} passed" if self.checks else ""
        return "; ".join(filter(None, [passed, warned]))

    def describe(self) -> str:
        """Its rows (when it got as far as counting them) and its gates' verdict."""
        rows = self.rows() if self.outcome == DONE or self.materialized else ""
        return "; ".join(filter(None, [rows, self.verdict()]))


class Display(Protocol):
    def start(self, stage: Stage) -> None: ...
    def advance(self, stage: Stage, done: int, total: int, lines: int) -> None: ...
    def end(self, stage: Stage) -> None: ...
    def not_run(self, name: str) -> None: ...
    def close(self) -> None: ...


class PlainLines:
    """A line as each stage starts and one as it ends; a streaming stage says how far it is every 10 s."""

    def __init__(self, stream: TextIO, every: float = PLAIN_EVERY_SECONDS):
        self.stream, self.every, self.last = stream, every, 0.0

    def _print(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def start(self, stage: Stage) -> None:
        self.last = time.monotonic()
        self._print(f"  {stage.name} ...")

    def advance(self, stage: Stage, done: int, total: int, lines: int) -> None:
        if time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self._print(f"  {stage.name}: {done:,} of {total:,} batches, {lines:,} lines ({stage.seconds:.0f} s)")

    def end(self, stage: Stage) -> None:
        self._print(f"{MARKS[stage.outcome]} {stage.name:<19} {stage.seconds:6.1f} s  {stage.describe()}")

    def not_run(self, name: str) -> None:
        self._print(f"{MARKS[NOT_RUN]} {name:<19} {'':>8}  not run")

    def close(self) -> None:
        pass


class _Mark(SpinnerColumn):
    def render(self, task):
        return Text(task.fields["mark"]) if task.finished else super().render(task)


class _StreamBar(BarColumn):
    """A bar only for the stages that stream batches; the others have nothing to count towards."""

    def render(self, task):
        return super().render(task) if task.fields["streams"] else Text("")


class LiveBars:
    """On a terminal: a live line per stage (spinner, bar for landing, figures, time), left in place as it ends."""

    def __init__(self, stream: TextIO):
        self.progress = Progress(_Mark(), TextColumn("{task.description:<19}"), _StreamBar(bar_width=24),
                                 TextColumn("{task.fields[figures]}"), TimeElapsedColumn(),
                                 console=Console(file=stream), transient=False,
                                 redirect_stdout=False, redirect_stderr=False)  # the libraries' output is the log's
        self.tasks: dict[str, int] = {}
        self.progress.start()

    def start(self, stage: Stage) -> None:
        self.tasks[stage.name] = self.progress.add_task(stage.name, total=None, mark="", figures="", streams=False)

    def advance(self, stage: Stage, done: int, total: int, lines: int) -> None:
        self.progress.update(self.tasks[stage.name], total=max(total, 1), completed=done, streams=True,
                             figures=f"{done:,}/{total:,} batches, {lines:,} lines")

    def end(self, stage: Stage) -> None:
        task = self.tasks[stage.name]
        total = self.progress.tasks[task].total or 1  # finished: a streaming stage's bar stays full
        self.progress.update(task, total=total, completed=total, mark=MARKS[stage.outcome], figures=stage.describe())

    def not_run(self, name: str) -> None:
        self.progress.add_task(name, total=1, completed=1, mark=MARKS[NOT_RUN], figures=NOT_RUN, streams=False)

    def close(self) -> None:
        self.progress.stop()


def display_for(stream: TextIO, live: bool) -> Display:
    return LiveBars(stream) if live and stream.isatty() else PlainLines(stream)


class DayProgress:
    """The stages of one run, from its events in order (the in-process executor runs one step at a time)."""

    def __init__(self, display: Display):
        self.display = display
        self.stages: dict[str, Stage] = {}
        self.current: Stage | None = None
        self.finished = False

    def _enter(self, name: str) -> Stage:
        if self.current is not None and self.current.name != name:
            self._end(self.current)
        if self.current is None or self.current.name != name:
            self.current = self.stages.get(name) or Stage(name)
            if name not in self.stages:
                self.stages[name] = self.current
                self.display.start(self.current)
        return self.current

    def _end(self, stage: Stage) -> None:
        stage.ended = time.monotonic()
        self.display.end(stage)
        self.current = None

    def on_event(self, event: dg.DagsterEvent) -> None:
        kind = event.event_type
        if kind in (dg.DagsterEventType.RUN_SUCCESS, dg.DagsterEventType.RUN_FAILURE):
            self.finish()
            return
        if event.step_key is None or self.finished:
            return
        name = stage_of(event.step_key)
        stage = self._enter(name) if kind == dg.DagsterEventType.STEP_START else self.stages.get(name)
        if stage is None:
            return
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            stage.materialized += 1
            stage.figures.update({k: v.value for k, v in event.event_specific_data.materialization.metadata.items()
                                  if type(v.value) is int})
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            stage.checks += 1
            if not evaluation.passed:
                failed = stage.blocked_by if evaluation.severity == dg.AssetCheckSeverity.ERROR else stage.warned_by
                failed.append(evaluation.check_name)
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            if is_refusal(event):
                stage.blocked_by.append("clearance")
            elif not stage.blocked_by:  # a blocking check's failure fails its step: the check says why
                stage.error = safe_error_name(event)

    def on_batches(self, step_key: str, done: int, total: int, lines: int) -> None:
        stage = self.stages.get(stage_of(step_key))
        if stage is not None and not self.finished:
            stage.streams = True
            self.display.advance(stage, done, total, lines)

    def finish(self) -> None:
        """The run ended: the stage under way ends, the stages that never started are said not to have run."""
        if self.finished:
            return
        self.finished = True
        if self.current is not None:
            self._end(self.current)
        for name in STAGES:
            if name not in self.stages:
                self.display.not_run(name)
        self.display.close()


class _EventHandler(logging.Handler):
    def __init__(self, progress: DayProgress):
        super().__init__(logging.DEBUG)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}  # set by Dagster's log manager on every record
        try:
            if (event := meta.get("dagster_event")) is not None:
                self.progress.on_event(event)
            elif (figures := getattr(record, PROGRESS, None)) and meta.get("step_key"):
                self.progress.on_batches(meta["step_key"], figures["done"], figures["total"], figures["lines"])
        except Exception:  # the terminal's progress must never fail a run
            self.handleError(record)


def progress_logger(progress: DayProgress) -> dg.LoggerDefinition:
    """A Dagster logger that hands every event of the run to `progress`."""

    def build(_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger("sluice.progress", logging.DEBUG)
        logger.addHandler(_EventHandler(progress))
        return logger

    return dg.LoggerDefinition(build, description="Stage lines and bars of `sluice run`, from the run's events.")
