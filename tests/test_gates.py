"""Gates as plain functions: pass, block, and what they report (counts and rule names only)."""

from sluice.policy.scope import default_manifest
from sluice.quality import gates

CLEAN = {"lines_read": 10, "valid": 7, "quarantined": 1, "duplicate": 1, "unreadable": 1, "other_day": 0,
         "reason:contract:ts:value_error": 1}


def test_line_conservation():
    assert gates.line_conservation(CLEAN, lines_landed=10).passed
    assert not gates.line_conservation(CLEAN, lines_landed=11).passed
    assert not gates.line_conservation({**CLEAN, "valid": 6}, lines_landed=10).passed


def test_scope_creep_counts_by_reason():
    assert gates.scope_creep(CLEAN).passed
    gate = gates.scope_creep({**CLEAN, "reason:scope:event_type": 3, "reason:scope:region": 2})
    assert not gate.passed and gate.counts["scope_creep"] == 5 and gate.counts["reason:scope:region"] == 2


def test_contract_failure_rate_against_the_manifest():
    manifest = default_manifest()
    assert not gates.contract_failure_rate(CLEAN, manifest).passed  # 1 of 8 judged > 1%
    many = {**CLEAN, "valid": 10_000}
    gate = gates.contract_failure_rate(many, manifest)
    assert gate.passed and gate.counts["rate_ppm"] == 100


def test_promotion_conservation():
    assert gates.promotion_conservation(7, {"promoted": 5, "excluded:consent": 2, "redacted:email": 9}).passed
    assert not gates.promotion_conservation(7, {"promoted": 5, "excluded:consent": 1}).passed


def test_freshness_only_warns():
    gate = gates.freshness({"batches": 0, "lines_in_folder": 0})
    assert not gate.passed and not gate.blocking
    assert gates.freshness({"batches": 2, "lines_in_folder": 9}).passed


def test_leak_scan():
    assert gates.leak_scan({}).passed
    gate = gates.leak_scan({"text:email": 2, "window_title:person": 1})
    assert not gate.passed and gate.blocking and gate.counts == {"hits": 3, "leak:text:email": 2, "leak:window_title:person": 1}


def test_a_failed_gate_says_which_rule_broke_it_and_how_often():
    creep = gates.scope_creep({"valid": 10, "reason:scope:event_type": 4, "reason:scope:region": 0})
    assert creep.verdict().startswith("Blocked: scope_creep failed (reason:scope:event_type = 4).")
    assert "reason:scope:region" not in creep.verdict()  # rules that did not fire are not named
    conservation = gates.line_conservation({"lines_read": 10, "valid": 7}, 10)
    assert "accounted = 7" in conservation.verdict() and "lines_landed = 10" in conservation.verdict()
    fresh = gates.freshness({"lines_in_folder": 0})
    assert fresh.verdict().startswith("Warning: freshness failed")
    passed = gates.scope_creep({"valid": 10})
    assert passed.verdict() == passed.description
