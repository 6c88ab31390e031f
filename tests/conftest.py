"""Shared fixtures: a simulated day (made by the tests themselves) and an isolated Sluice home."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from sluice.simulate import simulate

DAY = date(2026, 11, 2)
NEXT_DAY = date(2026, 11, 3)
SMALL = {"employees": 12, "events_per_employee": 1_500, "seed": 7}


@pytest.fixture(scope="session")
def simulated_day(tmp_path_factory) -> Path:
    """One clean simulated day (raw batches, directory, labels); copy it before changing it."""
    out = tmp_path_factory.mktemp("sim")
    simulate(DAY, SMALL["employees"], out, seed=SMALL["seed"], events_per_employee=SMALL["events_per_employee"])
    return out


@pytest.fixture
def inbox(simulated_day: Path, tmp_path: Path) -> Path:
    """A private copy of the simulated day, free to truncate, duplicate or extend."""
    target = tmp_path / "inbox"
    shutil.copytree(simulated_day, target)
    return target


@pytest.fixture
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inbox: Path) -> Path:
    """An isolated $SLUICE_HOME, Dagster instance and keys, reading `inbox`."""
    home = tmp_path / "home"
    for name in ("SLUICE_RAW", "SLUICE_DIRECTORY", "DAGSTER_HOME", "SLUICE_ENCRYPTION_KEY", "SLUICE_PSEUDONYM_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.setenv("SLUICE_RAW", str(inbox / "raw"))
    monkeypatch.setenv("SLUICE_DIRECTORY", str(inbox / "directory.csv"))
    from sluice.settings import configure

    configure()
    return home
