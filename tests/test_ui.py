"""The Dagster UI over a published demo day: `sluice ui` (the real `dagster dev`) asked through its GraphQL API,
and driven in Debian's Chromium (headless, through Playwright; no browser is downloaded)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from conftest import DAY, NEXT_DAY, isolate_home
from dagster_dev import graphql, serving
from helpers import counts_for, identifiers

from cli.main import EXIT_BLOCKED, EXIT_PUBLISHED, main
from sluice.platform.home import SluiceHome
from sluice.publish.commit import published_marker
from sluice.simulate import simulate

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parent.parent
ZONES = ("raw", "private", "training", "analytics", "publish", "lifecycle")
QUERY = """{
  assetNodes { assetKey { path } groupName kinds description
    owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
    assetChecksOrError { ... on AssetChecks { checks { name description blocking } } } }
  runsOrError { ... on Runs { results { runId status } } }
  repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name description } } } }
}"""
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # the closed network refuses Chromium's own calls


@dataclass
class UI:
    port: int
    home: SluiceHome
    inbox: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def ui(tmp_path_factory, simulated_day) -> Iterator[UI]:
    """One published demo day and the next day blocked by scope creep, and `sluice ui` over their instance."""
    tmp = tmp_path_factory.mktemp("ui")
    inbox = tmp / "inbox"
    shutil.copytree(simulated_day, inbox)
    with pytest.MonkeyPatch.context() as monkeypatch:
        home = isolate_home(monkeypatch, tmp / "home", inbox)
        assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
        simulate(NEXT_DAY, 6, inbox, seed=11, events_per_employee=300, scope_creep=True)
        assert main(["run", "--date", NEXT_DAY.isoformat()]) == EXIT_BLOCKED
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        with serving([str(Path(sys.executable).parent / "sluice"), "ui"], env, ROOT, port_flag="--port") as port:
            yield UI(port, SluiceHome(home), inbox)


def test_graph_has_zones_owners_kinds_described_checks_and_the_jobs(ui):
    data = graphql(ui.port, QUERY)
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {n["groupName"] for n in nodes.values()} == set(ZONES)
    assert nodes["private/validated_events"]["groupName"] == "private"
    assert nodes["training/interaction_steps"]["groupName"] == "training"
    assert nodes["analytics/daily_app_usage"]["groupName"] == "analytics"
    assert nodes["publish/published_day"]["groupName"] == "publish"
    assert all(n["owners"] and n["description"] for n in nodes.values()), "every asset has an owner and a description"
    assert nodes["training/interaction_steps"]["owners"] == [{"team": "ml-platform"}]
    assert {"dbt", "duckdb"} <= set(nodes["training/interaction_steps"]["kinds"])
    assert {"parquet", "s3"} <= set(nodes["publish/published_day"]["kinds"])
    assert "(rules 1, 9)" in nodes["private/validated_events"]["description"]

    checks = {c["name"]: c for n in nodes.values() for c in n["assetChecksOrError"].get("checks", [])}
    for gate in ("line_conservation", "scope_creep", "contract_failure_rate", "promotion_conservation", "leak_scan", "expectations"):
        assert checks[gate]["blocking"] and checks[gate]["description"]
    assert checks["assert_k_anonymity"]["blocking"]
    assert all(c["description"] for c in checks.values()), "every check says what it asserts"
    assert sorted(r["status"] for r in data["runsOrError"]["results"]) == ["FAILURE", "SUCCESS"]  # blocked, published
    jobs = {j["name"]: j["description"] for r in data["repositoriesOrError"]["nodes"] for j in r["jobs"]}
    assert {"daily_publish", "erase_now", "retention"} <= set(jobs) and all(jobs[j] for j in ("daily_publish", "erase_now", "retention"))


def test_materializations_carry_row_counts_column_schemas_and_the_privacy_report(ui):
    instance = dg.DagsterInstance.get()
    marker = published_marker(ui.home, DAY)
    for key, rows in [(["training", "interaction_steps"], marker["tables"]["interaction_steps"]["rows"]),
                      (["analytics", "daily_app_usage"], marker["analytics_rows"]["daily_app_usage"])]:
        metadata = instance.get_latest_materialization_event(dg.AssetKey(key)).asset_materialization.metadata
        assert metadata["dagster/row_count"].value == rows
        columns = [c.name for c in metadata["dagster/column_schema"].value.columns]
        assert "actor" in columns if key[0] == "training" else columns[:3] == ["day", "team", "app"]
    metadata = instance.get_latest_materialization_event(dg.AssetKey(["publish", "published_day"])).asset_materialization.metadata
    report = metadata["privacy_report"].value
    counts = counts_for(ui.home, DAY)
    for label, key in [("events in (lines read)", "lines_read"), ("valid", "valid"), ("promoted to training", "promoted"),
                       ("password_field", "excluded:password_field"), ("`<EMAIL>`", "redacted:email")]:
        assert f"| {label} | {counts[key]:,} |" in report
    assert f"| training/interaction_steps | {marker['tables']['interaction_steps']['rows']:,} |" in report
    assert "](data:image/png;base64,iVBORw0KGgo" in report  # the chart, a PNG, inline
    leaked = [i for i in identifiers(ui.inbox) if i in report]
    assert not leaked, f"{len(leaked)} identifiers in the privacy report"


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium (make test installs it as root)")
        pytest.skip("no chromium on this machine: `apt-get install chromium` (make test does, as root)")
    return found


def test_browser_shows_the_graph_a_check_and_the_privacy_report(ui, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    shots = tmp_path / "screenshots"
    shots.mkdir()
    seen = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(60_000)

        page.goto(f"{ui.url}/asset-groups")
        skip = page.get_by_role("button", name="Skip")  # Dagster's first-visit newsletter dialog
        try:
            skip.click(timeout=15_000)
        except Exception:  # noqa: BLE001  (not shown: nothing to dismiss)
            pass
        for zone in ZONES:
            expect(page.get_by_text(zone, exact=True).first).to_be_visible()
        page.screenshot(path=shots / "asset-graph.png")
        seen.append(page.inner_text("body"))

        page.goto(f"{ui.url}/assets/private/validated_events?view=checks")
        expect(page.get_by_text("This is a blocking asset check.")).to_be_visible()
        page.get_by_text("scope_creep").first.click()  # its latest execution: the blocked next day
        expect(page.get_by_text("No event type, field or region outside the scope manifest").first).to_be_visible()
        expect(page.get_by_text("Failed").first).to_be_visible()
        verdict = page.get_by_text("Blocked: scope_creep failed (reason:scope:event_type = ").first
        expect(verdict).to_be_visible()  # the rule that fired and how often
        page.screenshot(path=shots / "check-scope-creep.png")
        seen.append(page.inner_text("body"))

        page.goto(f"{ui.url}/assets/publish/published_day")
        expect(page.get_by_text("data-platform").first).to_be_visible()  # owner
        expect(page.get_by_text("Parquet").first).to_be_visible()  # kind
        page.get_by_text("[Show Markdown]").click()
        dialog = page.get_by_role("dialog")
        expect(dialog.get_by_text(f"Privacy report, {DAY.isoformat()}")).to_be_visible()
        expect(dialog.get_by_text("Excluded from training, by rule")).to_be_visible()
        expect(dialog.get_by_text("password_field")).to_be_visible()
        chart = dialog.locator("img")
        expect(chart).to_have_count(1)
        assert chart.evaluate("img => img.complete && img.naturalWidth") > 300  # the PNG decoded and drew
        page.screenshot(path=shots / "privacy-report.png", full_page=True)
        seen.append(dialog.inner_text())
        browser.close()

    text = "\n".join(seen)
    valid, creep = counts_for(ui.home, DAY)["valid"], counts_for(ui.home, NEXT_DAY)["reason:scope:event_type"]
    assert f"{valid:,}" in text, "the report's valid count is on screen"
    assert f"reason:scope:event_type = {creep:,}" in text, "the failed check's count is on screen"
    assert not [i for i in identifiers(ui.inbox) if i in text], "an identifier is on screen"
    assert sorted(p.name for p in shots.iterdir()) == ["asset-graph.png", "check-scope-creep.png", "privacy-report.png"]
    assert all(p.stat().st_size > 20_000 for p in shots.iterdir())
    print(f"screenshots: {shots}")
