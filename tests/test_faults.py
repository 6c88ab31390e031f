"""Faults around a run: redelivered and reordered batches, an analyst reading while a run
publishes, a full disk and a read-only home."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import DAY, SMALL
from helpers import files_bytes

from cli.main import EXIT_ERROR, EXIT_PUBLISHED, main
from sluice.contract.validation import outcome_counts, validate_day
from sluice.ingest.landing import land_day
from sluice.ingest.raw_store import LocalRaw
from sluice.lifecycle import audit
from sluice.platform.home import SluiceHome
from sluice.platform.warehouse import private_zone
from sluice.policy.scope import default_manifest
from sluice.privacy.transforms import load_directory, transform_day
from sluice.publish.commit import files_relation, published_marker
from sluice.simulate import simulate


def _batches(raw: Path) -> list[Path]:
    return sorted(raw.rglob("*.jsonl.gz"))


def _lines(batch: Path) -> list[bytes]:
    return gzip.decompress(batch.read_bytes()).splitlines(keepends=True)


def _day_through_transforms(home: SluiceHome, raw: Path, directory: Path) -> tuple[dict[str, int], list, list]:
    key, pseudonym_key = os.environ["SLUICE_ENCRYPTION_KEY"], os.environ["SLUICE_PSEUDONYM_KEY"]
    with private_zone(home.private_db, key, home.spill) as con:
        load_directory(con, directory)
        land_day(con, LocalRaw(raw), DAY)
        validate_day(con, DAY, default_manifest())
        transform_day(con, DAY, default_manifest(), pseudonym_key)
        events = con.execute("SELECT * EXCLUDE (batch_id, line_no) FROM events WHERE partition_date = ? ORDER BY event_id", [DAY]).fetchall()
        eligible = con.execute("SELECT * FROM eligible_events WHERE partition_date = ? ORDER BY ALL", [DAY]).fetchall()
        return outcome_counts(con, DAY), events, eligible


def test_redelivered_overlapping_and_reordered_batches_count_like_one_clean_delivery(sluice_home, inbox, tmp_path):
    clean_home, messy_home = SluiceHome(sluice_home), SluiceHome(tmp_path / "messy").ensure()
    clean = _day_through_transforms(clean_home, inbox / "raw", inbox / "directory.csv")

    messy = tmp_path / "messy_raw"
    batches = _batches(inbox / "raw")
    for batch in reversed(batches):  # out of order: the last batches arrive first, each landing in between
        target = messy / batch.relative_to(inbox / "raw")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(batch, target)
        if batch == batches[len(batches) // 2]:
            _day_through_transforms(messy_home, messy, inbox / "directory.csv")
    twice = batches[0]  # the same batch delivered again under another name
    shutil.copyfile(twice, messy / twice.relative_to(inbox / "raw").with_name("resent-" + twice.name))
    first, second = _lines(batches[1]), _lines(batches[2])  # a batch overlapping two others
    overlap = messy / batches[2].relative_to(inbox / "raw").with_name("overlap-" + batches[2].name)
    overlap.write_bytes(gzip.compress(b"".join(first[len(first) // 2:] + second[: len(second) // 2])))

    counts, events, eligible = _day_through_transforms(messy_home, messy, inbox / "directory.csv")
    redelivered = len(_lines(twice)) + len(first) - len(first) // 2 + len(second) // 2
    assert {k: v for k, v in counts.items() if k not in ("duplicate", "lines_read")} == \
        {k: v for k, v in clean[0].items() if k not in ("duplicate", "lines_read")}
    assert counts["duplicate"] == clean[0]["duplicate"] + redelivered
    assert counts["lines_read"] == clean[0]["lines_read"] + redelivered
    assert events == clean[1] and eligible == clean[2]
    assert len(events) > 1000


READER = """
import sys, duckdb
path, mode = sys.argv[1], sys.argv[2]
def state(con):
    return repr(con.execute("SELECT * FROM daily_app_usage ORDER BY ALL").fetchall())
if mode == "hold":  # one connection held open for the whole run
    con = duckdb.connect(path, read_only=True)
    print(state(con), flush=True)
    sys.stdin.readline()
    print(state(con), flush=True)
else:  # reopen again and again while the run publishes
    seen, errors = set(), 0
    while not sys.stdin.closed:
        try:
            with duckdb.connect(path, read_only=True) as con:
                seen.add(state(con))
        except duckdb.Error:
            errors += 1
        import select
        if select.select([sys.stdin], [], [], 0.02)[0]:
            break
    print(errors, flush=True)
    for s in seen:
        print(s, flush=True)
"""


def test_analysts_reading_during_a_publish_see_the_old_or_the_new_day_never_a_mix(sluice_home, inbox, tmp_path):
    home = SluiceHome(sluice_home)
    next_day = DAY + timedelta(days=1)
    simulate(next_day, SMALL["employees"], tmp_path / "next", seed=SMALL["seed"], events_per_employee=800)  # same staff
    shutil.copytree(tmp_path / "next" / "raw", inbox / "raw", dirs_exist_ok=True)
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    with duckdb.connect(str(home.analytics_db), read_only=True) as con:
        old = repr(con.execute("SELECT * FROM daily_app_usage ORDER BY ALL").fetchall())

    script = tmp_path / "reader.py"
    script.write_text(READER)
    readers = {mode: subprocess.Popen([sys.executable, str(script), str(home.analytics_db), mode], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True) for mode in ("hold", "reopen")}
    assert readers["hold"].stdout.readline().strip() == old
    assert main(["run", "--date", next_day.isoformat()]) == EXIT_PUBLISHED  # publishes while both read
    outputs = {mode: reader.communicate("done\n", timeout=60)[0].splitlines() for mode, reader in readers.items()}

    with duckdb.connect(str(home.analytics_db), read_only=True) as con:
        new = repr(con.execute("SELECT * FROM daily_app_usage ORDER BY ALL").fetchall())
        days = {r[0] for r in con.execute("SELECT DISTINCT day FROM daily_app_usage").fetchall()}
    assert new != old and days == {DAY, next_day}
    assert outputs["hold"] == [old]  # the held connection still reads the file as it was: the old day only
    errors, *seen = outputs["reopen"]
    assert errors == "0" and seen and set(seen) <= {old, new}, f"{errors} errors, {len(set(seen) - {old, new})} mixed states"


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real filesystem of its own (tmpfs, 256 MiB) that a test can fill or make read-only."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root (CAP_SYS_ADMIN)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _published(home: SluiceHome) -> dict[str, bytes]:
    return {**files_bytes(home.training), "analytics.duckdb": home.analytics_db.read_bytes(),
            "audit.jsonl": home.audit_log.read_bytes()}


def _published_rows(home: SluiceHome) -> dict[str, list]:
    with duckdb.connect() as con:
        return {t: con.execute(f"SELECT * FROM {files_relation(home, info['files'])} ORDER BY ALL").fetchall()
                for t, info in published_marker(home, DAY)["tables"].items()}


def _assert_intact(home: SluiceHome, before: dict[str, bytes]) -> None:
    assert _published(home) == before, "the last publication changed"
    assert audit.verify(home.audit_log) is None
    with private_zone(home.private_db, os.environ["SLUICE_ENCRYPTION_KEY"], home.spill) as con:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 0


def _on_disk(monkeypatch, disk: Path) -> SluiceHome:
    monkeypatch.setenv("SLUICE_HOME", str(disk / "home"))
    for name in ("DAGSTER_HOME", "SLUICE_ENCRYPTION_KEY", "SLUICE_PSEUDONYM_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    return SluiceHome(disk / "home")


@pytest.mark.parametrize("free_mib", [0, 6])
def test_a_full_disk_is_a_clear_error_and_corrupts_nothing(sluice_home, small_disk, monkeypatch, capsys, free_mib):
    home = _on_disk(monkeypatch, small_disk)
    rows, before = _published_rows(home), _published(home)
    filler = small_disk / "filler"
    stat = os.statvfs(small_disk)
    with filler.open("wb") as handle:  # leave `free_mib` free (tmpfs counts whole pages)
        handle.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - free_mib * 2**20))
    capsys.readouterr()

    assert main(["run", "--date", DAY.isoformat()]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert "disk_full" in err and "ENOSPC" in err and "run the day again" in err, err[-2000:]
    filler.unlink()
    _assert_intact(home, before)
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED  # space back: the day completes
    assert _published_rows(home) == rows


def test_a_read_only_home_is_refused_before_anything_runs(sluice_home, small_disk, monkeypatch, capsys):
    home = _on_disk(monkeypatch, small_disk)
    before = _published(home)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        capsys.readouterr()
        assert main(["run", "--date", DAY.isoformat()]) == EXIT_ERROR
        err = capsys.readouterr().err
        assert "home_read_only" in err and "EROFS" in err and "run the day again" in err, err[-2000:]
        assert main(["audit", "verify"]) == EXIT_PUBLISHED  # reading still works
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    _assert_intact(home, before)
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
