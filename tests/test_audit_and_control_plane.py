import json

import pytest

from sluice.lifecycle import audit
from sluice.platform.control_plane import counts_only


def test_audit_chain_verifies_and_detects_tampering(tmp_path):
    log = tmp_path / "audit.jsonl"
    for i in range(3):
        audit.append(log, "publish", day=f"2026-11-0{i + 1}", rows={"t": i})
    assert audit.verify(log) is None
    assert log.stat().st_mode & 0o777 == 0o600
    records = log.read_text().splitlines()
    tampered = json.loads(records[1])
    tampered["rows"] = {"t": 99}
    log.write_text("\n".join([records[0], json.dumps(tampered), records[2]]) + "\n")
    assert audit.verify(log) == 2
    log.write_text("\n".join([records[0], records[2]]) + "\n")
    assert audit.verify(log) == 2


@pytest.mark.parametrize("bad", [{"Jane Doe": 1}, {"reason:scope:x": "E12345"}, {"email:a@b.com": 1}, {"ok": True}, {"ok": 1.5}])
def test_control_plane_metadata_takes_counts_under_safe_names_only(bad):
    with pytest.raises(ValueError) as err:
        counts_only(bad)
    assert not any(str(v) in str(err.value) for v in [*bad.keys(), *bad.values()] if str(v) not in ("1", "True"))


def test_control_plane_accepts_reason_codes():
    assert counts_only({"reason:contract:payload.x:int_type": 3, "excluded:consent": 0}) == {
        "reason:contract:payload.x:int_type": 3, "excluded:consent": 0}


def test_audit_verify_command_reports_an_intact_and_a_tampered_log(sluice_home, capsys):
    from cli.main import EXIT_BLOCKED, EXIT_PUBLISHED, main
    from sluice.platform.home import SluiceHome

    log = SluiceHome(sluice_home).audit_log
    assert audit.record_manifest(log, "v1-aaaa") and not audit.record_manifest(log, "v1-aaaa")
    assert audit.record_manifest(log, "v2-bbbb")
    audit.append(log, "publish", day="2026-11-02", rows={"t": 3})
    assert main(["audit", "verify"]) == EXIT_PUBLISHED
    assert "intact: 3 records" in capsys.readouterr().out
    assert [r["previous"] for r in audit.read(log) if r["action"] == "manifest_change"] == [None, "v1-aaaa"]

    log.write_text(log.read_text().replace('"t": 3', '"t": 4'))
    assert main(["audit", "verify"]) == EXIT_BLOCKED
    assert "BROKEN at record 3" in capsys.readouterr().out
    log.write_text(log.read_text() + "not json\n")
    assert main(["audit", "verify"]) == EXIT_BLOCKED
