"""The training export: a manifest.json beside each training table's Parquet, and the loader that
docs/training-export.md documents, run against a published day."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import DAY

from cli.main import EXIT_PUBLISHED, main
from sluice.platform import versions
from sluice.platform.home import SluiceHome
from sluice.policy.scope import default_manifest
from sluice.publish.commit import published_marker
from sluice.quality.candidates import TRAINING_TABLES

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "training-export.md"


def _examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)


def test_every_training_table_has_a_manifest_and_the_documented_loader_verifies_it(sluice_home, tmp_path, monkeypatch):
    assert main(["run", "--date", DAY.isoformat()]) == EXIT_PUBLISHED
    home = SluiceHome(sluice_home)
    marker = published_marker(home, DAY)
    loader, usage, hugging_face = _examples()
    assert loader.startswith("# loader") and DAY.isoformat() in usage
    namespace: dict = {}
    exec(loader, namespace)  # the guide's code, as a trainer would paste it

    for table in TRAINING_TABLES:
        info = marker["tables"][table]
        manifest = json.loads((home.training / info["manifest"]).read_text())
        assert (manifest["table"], manifest["date"], manifest["run_id"]) == (table, DAY.isoformat(), marker["run_id"])
        assert manifest["rows"] == info["rows"] > 0
        assert [f["sha256"] for f in manifest["files"]] == [f["sha256"] for f in info["files"]]
        assert manifest["scope_manifest_version"] == default_manifest().manifest_version == marker["manifest_version"]
        assert manifest["code_version"] == versions.code_version() == marker["code_version"]
        assert manifest["policy_version"] == versions.policy_version() == marker["policy_version"]
        data, loaded = namespace["load_training_day"](home.training, table, DAY.isoformat())
        assert loaded == manifest and data.num_rows == info["rows"]
        assert data.column_names == [c["name"] for c in manifest["schema"]]
        assert not {"employee_id", "device_id", "session_id", "dss_level"} & set(data.column_names)

    monkeypatch.chdir(tmp_path)  # the usage example, from a folder where .sluice is the published home
    (tmp_path / ".sluice").symlink_to(home.root)
    exec(usage, namespace)
    assert namespace["frame"].shape[0] == marker["tables"]["interaction_steps"]["rows"]
    monkeypatch.setenv("HF_HOME", str(tmp_path / "huggingface"))  # its cache, not the user's
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # local files only: nothing to fetch
    exec(hugging_face, namespace)
    assert namespace["turns"].num_rows == marker["tables"]["assistant_turns"]["rows"]

    part = home.training / marker["tables"]["interaction_steps"]["files"][0]["path"]
    tampered = bytearray(part.read_bytes())
    tampered[len(tampered) // 2] ^= 1
    part.write_bytes(bytes(tampered))
    with pytest.raises(ValueError, match="does not match its manifest's sha256"):
        namespace["load_training_day"](home.training, "interaction_steps", DAY.isoformat())


def test_versions_change_with_the_files_they_digest(tmp_path, monkeypatch):
    (tmp_path / "sluice" / "policy").mkdir(parents=True)
    rule = tmp_path / "sluice" / "policy" / "rule.py"
    rule.write_text("THRESHOLD = 3\n")
    monkeypatch.setattr(versions, "ROOT", tmp_path)
    before = versions._digest(versions.POLICY)
    assert versions._digest(versions.POLICY) == before  # stable
    rule.write_text("THRESHOLD = 4\n")
    assert versions._digest(versions.POLICY) != before
    assert versions.policy_version().startswith("policy-") and versions.code_version().startswith("0.1.0+")
