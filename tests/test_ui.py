"""`make ui`: the real webserver over the instance a run used, asked through its GraphQL API."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import DAY

from sluice.cli import EXIT_PUBLISHED, main

ROOT = Path(__file__).resolve().parent.parent
QUERY = """{
  assetNodes { assetKey { path } groupName
    assetChecksOrError { ... on AssetChecks { checks { name description blocking } } } }
  runsOrError { ... on Runs { results { runId status } } }
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


@pytest.fixture
def webserver(sluice_home):
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    port = _free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "sluice"), "ui", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if _graphql(port, "{ assetNodes { id } }")["assetNodes"]:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            pytest.fail("dagster dev did not serve the code location within 120 s")
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # SIGTERM lets dagster dev stop its webserver and daemon
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_ui_shows_zones_gates_and_the_run(webserver):
    data = _graphql(webserver, QUERY)
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in data["assetNodes"]}
    assert groups["private/validated_events"] == "private"
    assert groups["training/interaction_steps"] == "training"
    assert groups["analytics/daily_app_usage"] == "analytics"
    assert groups["publish/published_day"] == "publish"
    checks = {c["name"]: c for n in data["assetNodes"] for c in n["assetChecksOrError"].get("checks", [])}
    for gate in ("line_conservation", "scope_creep", "contract_failure_rate", "promotion_conservation", "leak_scan", "expectations"):
        assert checks[gate]["blocking"] and checks[gate]["description"]
    assert checks["assert_k_anonymity"]["blocking"]
    assert all(c["description"] for c in checks.values()), "every check says what it asserts"
    assert [r["status"] for r in data["runsOrError"]["results"]] == ["SUCCESS"]
