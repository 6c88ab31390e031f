"""Shared fixtures: a simulated day (made by the tests themselves) and an isolated Sluice home."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from sluice.platform.home import SluiceHome
from sluice.platform.settings import OPTIONAL_ENV
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


def isolate_home(monkeypatch: pytest.MonkeyPatch, home: Path, inbox: Path) -> Path:
    """Point every Sluice and Dagster setting at `home` (keys made there), reading `inbox`."""
    for name in ("SLUICE_RAW", "SLUICE_DIRECTORY", "DAGSTER_HOME", "SLUICE_ENCRYPTION_KEY", "SLUICE_PSEUDONYM_KEY", *OPTIONAL_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLUICE_HOME", str(home))
    monkeypatch.setenv("SLUICE_RAW", str(inbox / "raw"))
    monkeypatch.setenv("SLUICE_DIRECTORY", str(inbox / "directory.csv"))
    from sluice.platform.settings import configure

    configure()
    return home


@pytest.fixture
def sluice_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inbox: Path) -> Path:
    """An isolated $SLUICE_HOME, Dagster instance and keys, reading `inbox`."""
    return isolate_home(monkeypatch, tmp_path / "home", inbox)


@dataclass(frozen=True)
class Published:
    home: SluiceHome
    inbox: Path  # as the run left it (withdrawn employees erased from raw)


@pytest.fixture(scope="session")
def published_day(tmp_path_factory: pytest.TempPathFactory, simulated_day: Path) -> Published:
    """DAY of the simulated inbox published once, by `sluice run`; tests change copies (`published`)."""
    from cli.main import EXIT_PUBLISHED, main

    root = tmp_path_factory.mktemp("published")
    shutil.copytree(simulated_day, root / "inbox")
    with pytest.MonkeyPatch.context() as patch:
        isolate_home(patch, root / "home", root / "inbox")
        assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    return Published(SluiceHome(root / "home"), root / "inbox")


@pytest.fixture
def published(published_day: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Published:
    """A private copy of a home where DAY is published (its Dagster instance, keys and inbox too), isolated."""
    shutil.copytree(published_day.home.root, tmp_path / "home")
    shutil.copytree(published_day.inbox, tmp_path / "inbox")
    isolate_home(monkeypatch, tmp_path / "home", tmp_path / "inbox")
    return Published(SluiceHome(tmp_path / "home"), tmp_path / "inbox")


@contextmanager
def moto_server(**env: str) -> Iterator[str]:
    """A real S3 (and KMS, IAM, Secrets Manager) API: moto's server on 127.0.0.1, on a free port, under `env`."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("moto_server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture
def aws(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The standard AWS_* environment pointed at the S3 server, whose state is reset first."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{s3_server}/moto-api/reset", method="POST"), timeout=10).close()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sluice-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sluice-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server)
    return s3_server
