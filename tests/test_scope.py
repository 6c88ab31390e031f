import json

import duckdb
import pytest
import yaml

from sluice.contract.vectorised import parsed_sql
from sluice.policy.scope import MANIFEST_PATH, ScopeManifest, load_manifest, scope_reason_sql


@pytest.fixture(scope="module")
def manifest():
    return load_manifest()


@pytest.mark.parametrize("event,reason", [
    ({"event_type": "screenshot", "region": "US", "payload": {}}, "scope:event_type"),
    ({"event_type": "key", "region": "US", "keystroke_buffer": "x", "payload": {}}, "scope:field"),
    ({"event_type": "key", "region": "US", "payload": {"key": "a", "clipboard": "x"}}, "scope:payload_field"),
    ({"event_type": "key", "region": "DE", "payload": {"key": "a"}}, "scope:region"),
    ({"event_type": "key", "region": "US", "payload": {"key": "a", "modifiers": [], "field": "text"}}, None),
    ({"event_type": 5, "region": "US", "payload": {}}, None),  # a wrong type is the contract's to reject
])
def test_scope_reasons(manifest, event, reason):
    sql = f"SELECT {scope_reason_sql(manifest)} FROM (SELECT {parsed_sql('j')} FROM (SELECT ?::JSON AS j))"
    got = duckdb.execute(sql, [json.dumps(event)]).fetchone()[0]
    assert got == reason


def test_manifest_version_changes_with_the_file(tmp_path, manifest):
    changed = tmp_path / "m.yaml"
    changed.write_text(MANIFEST_PATH.read_text().replace("k_anonymity: 5", "k_anonymity: 7"))
    other = load_manifest(changed)
    assert other.k_anonymity == 7 and other.manifest_version != manifest.manifest_version


def test_manifest_cannot_declare_what_the_contract_does_not_define():
    raw = yaml.safe_load(MANIFEST_PATH.read_text())
    raw["collect"]["event_types"]["screenshot"] = ["bytes"]
    with pytest.raises(ValueError):
        ScopeManifest(**raw)
    raw = yaml.safe_load(MANIFEST_PATH.read_text())
    raw["collect"]["event_types"]["key"].append("clipboard")
    with pytest.raises(ValueError):
        ScopeManifest(**raw)
