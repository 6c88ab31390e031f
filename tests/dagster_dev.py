"""`dagster dev` started for a test: serving a code location on a free port, stopped cleanly afterwards."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


@contextmanager
def serving(command: list[str], env: dict[str, str], cwd: Path, port_flag: str = "-p", timeout_s: int = 120) -> Iterator[int]:
    """Run `command` (a `dagster dev`, or what starts one) with `<port_flag> <port>` added, until its code location
    serves assets; yield the port; stop it with SIGTERM (which lets dagster dev stop its webserver and daemon)."""
    port = free_port()
    proc = subprocess.Popen([*command, port_flag, str(port)], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if graphql(port, "{ assetNodes { id } }")["assetNodes"]:
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"{command[0]} exited with {proc.returncode} before serving the code location")
            time.sleep(1)
        else:
            pytest.fail(f"dagster dev did not serve the code location within {timeout_s} s")
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
