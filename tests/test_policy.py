"""Rule logic on its own: pseudonyms, key classes, exclusions and their order, DSS context."""

import hashlib

import duckdb
import pytest

from sluice.policy.aliases import URL_HOST_SQL, host_view, host_view_sql, register_host_view
from sluice.policy.exclusions import excluded_by_sql, ordered_exclusions
from sluice.policy.keystrokes import KEY_CLASS_SQL, KEY_CLASSES
from sluice.policy.pseudonyms import pseudonym
from sluice.policy.scope import default_manifest
from sluice.policy.sensitivity import dss_context_sql


def test_pseudonyms_are_keyed_deterministic_and_kind_separated():
    a = pseudonym("key-1", "employee", "E123")
    assert a == pseudonym("key-1", "employee", "E123")
    assert a != pseudonym("key-2", "employee", "E123")
    assert a != pseudonym("key-1", "device", "E123")
    assert "E123" not in a
    plain = hashlib.sha256(b"E123").hexdigest()
    assert a[2:] not in plain


@pytest.mark.parametrize("key,mods,cls", [
    ("a", [], "letter"), ("É", ["shift"], "letter"), ("7", [], "digit"), (";", [], "punctuation"),
    (" ", [], "whitespace"), ("Enter", [], "whitespace"), ("Tab", [], "whitespace"),
    ("ArrowLeft", [], "navigation"), ("Backspace", [], "editing"), ("Delete", [], "editing"),
    ("F5", [], "function"), ("Shift", ["shift"], "modifier"), ("c", ["ctrl"], "shortcut"),
    ("v", ["meta"], "shortcut"), ("MediaPlay", [], "other"),
])
def test_key_classes(key, mods, cls):
    got = duckdb.execute(
        f"SELECT {KEY_CLASS_SQL} FROM (SELECT 'key' AS event_type, ?::VARCHAR AS key, ?::VARCHAR[] AS modifiers)",
        [key, mods]).fetchone()[0]
    assert got == cls and got in KEY_CLASSES


def _excluded_by(**row):
    defaults = {"consent": "granted", "event_type": "mouse_move", "channel_kind": None, "app": "code.exe",
                "url_host": None, "dss_context": 1, "field": None, "text": None, "window_title": None}
    values = {**defaults, **row}
    columns = ", ".join(f"?::VARCHAR AS {k}" if k != "dss_context" else "?::INTEGER AS dss_context" for k in values)
    return duckdb.execute(f"SELECT {excluded_by_sql(default_manifest())} FROM (SELECT {columns})", list(values.values())).fetchone()[0]


def test_each_exclusion_rule_fires_and_the_first_rule_wins():
    assert _excluded_by() is None
    assert _excluded_by(consent=None) == "unknown_employee"
    assert _excluded_by(consent="withdrawn") == "consent"
    assert _excluded_by(consent="never", app="workday") == "consent"
    assert _excluded_by(app="Net.WhatsApp.WhatsApp") == "personal_messaging"
    assert _excluded_by(url_host="web.whatsapp.com") == "personal_messaging"
    assert _excluded_by(event_type="chat_message", channel_kind="dm") == "private_conversation"
    assert _excluded_by(event_type="chat_message", channel_kind="channel") is None
    assert _excluded_by(app="workday") == "personnel_system"
    assert _excluded_by(url_host="acme.myworkday.com") == "personnel_system"
    assert _excluded_by(url_host="notmyworkday.com") is None
    assert _excluded_by(event_type="assistant_prompt", text="Draft his performance improvement plan") == "personnel_content"
    assert _excluded_by(window_title="Q3 calibration notes - Google Docs") == "personnel_content"
    assert _excluded_by(event_type="assistant_prompt", text="Draft the release notes") is None
    for hidden in ("his performance\u00a0improvement\u2009plan", "the perf-review is due", "ｐｅｒｆｏｒｍａｎｃｅ　ｒｅｖｉｅｗ",
                   "sa\u200blary talk", "a pay\u2011raise", "cali\u00adbration notes", "TERMINATED"):
        assert _excluded_by(event_type="assistant_prompt", text=hidden) == "personnel_content", hidden
    assert _excluded_by(dss_context=3) == "data_sensitivity"
    assert _excluded_by(dss_context=2) is None
    assert _excluded_by(event_type="key", field="password") == "password_field"
    assert _excluded_by(event_type="key", field="unknown") is None
    assert [e.policy_rule for e in ordered_exclusions(default_manifest())] == [2, 2, 6, 6, 7, 7, 8, 4]


def _contexts(rows: list[tuple]) -> dict[str, int]:
    """dss_context of DAY's events among `rows` (day, device, session, ts, event_type, dss_level, event_id)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE e (partition_date DATE, device_id VARCHAR, session_id VARCHAR, ts TIMESTAMP, event_type VARCHAR,"
                " dss_level INTEGER, event_id VARCHAR)")
    con.executemany("INSERT INTO e VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return dict(con.execute(dss_context_sql("e", "DATE '2026-11-02'")).fetchall())


def _at(day: str, second: int, ms: int = 0) -> str:
    return f"{day} 23:59:{second:02d}.{ms:03d}" if day == "2026-11-01" else f"{day} 00:00:{second:02d}.{ms:03d}"


D0, D1 = "2026-11-01", "2026-11-02"


def test_dss_context_carries_from_the_last_focus_of_the_session():
    got = _contexts([
        (D1, "d", "s", _at(D1, 1), "window_focus", 3, "e1"), (D1, "d", "s", _at(D1, 2), "mouse_move", None, "e2"),
        (D1, "d", "s", _at(D1, 3), "window_focus", None, "e3"), (D1, "d", "s", _at(D1, 4), "key", None, "e4"),
        (D1, "d", "s", _at(D1, 5), "key", 4, "e5"), (D1, "d", "t", _at(D1, 2), "key", None, "e6")])
    assert got == {"e1": 3, "e2": 3, "e3": 0, "e4": 0, "e5": 4, "e6": 0}


def test_a_context_focused_before_midnight_governs_the_session_after_it():
    got = _contexts([
        (D0, "d", "s", _at(D0, 10), "window_focus", 1, "y1"), (D0, "d", "s", _at(D0, 50), "window_focus", 4, "y2"),
        (D0, "d", "s", _at(D0, 55), "key", None, "y3"),
        (D1, "d", "s", _at(D1, 1), "key", None, "a1"), (D1, "d", "s", _at(D1, 2), "mouse_move", None, "a2"),
        (D1, "d", "s", _at(D1, 3), "window_focus", 1, "a3"), (D1, "d", "s", _at(D1, 4), "key", None, "a4"),
        (D1, "d", "u", _at(D1, 1), "key", None, "b1"),  # another session: nothing carries over
        (D0, "d", "v", _at(D0, 20), "window_focus", 4, "z1"), (D1, "e", "v", _at(D1, 1), "key", None, "c1")])  # another device
    assert got == {"a1": 4, "a2": 4, "a3": 1, "a4": 1, "b1": 0, "c1": 0}


def test_an_event_at_the_same_millisecond_as_a_restrictive_focus_is_judged_under_it():
    got = _contexts([
        (D1, "d", "s", _at(D1, 1), "window_focus", 1, "f1"),
        (D1, "d", "s", _at(D1, 2, 500), "key", None, "k1"), (D1, "d", "s", _at(D1, 2, 500), "window_focus", 4, "f2"),
        (D1, "d", "s", _at(D1, 3), "window_focus", 1, "f3"), (D1, "d", "s", _at(D1, 3), "key", None, "k2"),  # 4 before it
        (D1, "d", "s", _at(D1, 4), "key", None, "k3"),
        (D0, "d", "t", _at(D0, 59, 999), "window_focus", 2, "g0"), (D0, "d", "t", _at(D0, 59, 999), "window_focus", 4, "g1"),
        (D1, "d", "t", _at(D1, 0, 1), "key", None, "k4")])  # two focuses at one ms before midnight: the stricter
    assert got == {"f1": 1, "k1": 4, "f2": 4, "f3": 1, "k2": 4, "k3": 1, "k4": 4}


def test_the_sql_fold_reads_what_the_detection_view_reads():
    from sluice.redaction.normalize import DASHES, FULLWIDTH, fold_sql, fold_text

    chars = [*FULLWIDTH, *DASHES, "\u00a0", "\u2009", "\u3000", "\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "é", "Å", "ñ",
             "e\u0301", "ü"]
    text = " ".join(f"a{c}b" for c in chars)
    assert duckdb.execute(f"SELECT {fold_sql('t')} FROM (SELECT ?::VARCHAR AS t)", [text]).fetchone()[0] == fold_text(text)


def test_identifier_fields_are_published_by_default_deny():
    from sluice.policy.identifiers import published_values_sql, url_sql

    con = duckdb.connect()
    con.execute("CREATE TABLE directory AS SELECT * FROM (VALUES ('E123450001', 'Jane Doe')) t(employee_id, name)")
    con.execute("CREATE TABLE events AS SELECT * FROM (VALUES ('com.google.Chrome', 'assist-1'), ('com.vendor.Tool', 'gpt-jane'),"
                " ('ｃｏｍ．ｖｅｎｄｏｒ．ｅｄｉｔｏｒ', 'ASSIST-1'), ('Jane Doe laptop', NULL), ('app.v12.exe', NULL)) t(app, model)")
    apps = dict(con.execute(published_values_sql("app", "events")).fetchall())
    assert apps == {"com.google.Chrome": "com.google.Chrome", "com.vendor.Tool": "com.vendor.Tool",
                    "ｃｏｍ．ｖｅｎｄｏｒ．ｅｄｉｔｏｒ": "com.vendor.editor", "Jane Doe laptop": "<APP_OTHER>", "app.v12.exe": "<APP_OTHER>"}
    assert dict(con.execute(published_values_sql("model", "events")).fetchall()) == \
        {"assist-1": "assist-1", "gpt-jane": "<MODEL_OTHER>", "ASSIST-1": "ASSIST-1"}
    for url, published in [("https://user:pw@git.example.com:8443/org/pull/12?token=abc#top", "https://git.example.com/org/pull/12"),
                           ("http://docs.example.com", "http://docs.example.com"), ("javascript:alert(1)", "<URL_OTHER>")]:
        assert con.execute(f"SELECT {url_sql('u')} FROM (SELECT ?::VARCHAR AS u)", [url]).fetchone()[0] == published


@pytest.mark.parametrize("app, rule", [
    ("WhatsApp.exe", "personal_messaging"), ("WHATSAPP", "personal_messaging"), ("ＷｈａｔｓＡｐｐ．ｅｘｅ", "personal_messaging"),
    ("Telegram.app", "personal_messaging"), ("org.telegram.desktop.beta", "personal_messaging"), ("Signal-Desktop", "personal_messaging"),
    ("Work\u200bday.exe", "personnel_system"), ("com.workday.mobile", "personnel_system"), ("Lattice.app", "personnel_system"),
    ("code.exe", None), ("com.google.Chrome", None), ("slack", None),
])
def test_excluded_apps_are_recognised_under_their_aliases(app, rule):
    assert _excluded_by(app=app) == rule


@pytest.mark.parametrize("url, rule", [
    ("https://web.whatsapp.com./", "personal_messaging"), ("https://WWW.Messenger.com/t/1", "personal_messaging"),
    ("https://m.messenger.com/", "personal_messaging"), ("https://acme.ｍｙｗｏｒｋｄａｙ.com/review", "personnel_system"),
    ("https://acme.myworkday.com./review", "personnel_system"), ("https://notmyworkday.com/", None),
    # Punycode (ACE) labels, decoded: of an ASCII label, of fullwidth letters, with the prefix in capitals or fullwidth.
    ("https://web.xn--whatsapp-.com/", "personal_messaging"),
    (f"https://web.xn--{'ｗｈａｔｓａｐｐ'.encode('punycode').decode()}.com/", "personal_messaging"),
    ("https://XN--MESSENGER-.COM/t/1", "personal_messaging"), ("https://acme.ｘｎ－－myworkday-.com/", "personnel_system"),
    ("https://xn--bcher-kva.example/", None), ("https://xn--zz-.invalid-label/", None),
])
def test_excluded_domains_are_recognised_under_their_aliases(url, rule):
    con = duckdb.connect()
    register_host_view(con)
    host = con.execute(f"SELECT {host_view_sql('host')} FROM (SELECT {URL_HOST_SQL} AS host FROM (SELECT ?::VARCHAR AS url))",
                       [url]).fetchone()[0]
    assert _excluded_by(url_host=host) == rule


@pytest.mark.parametrize("host, view", [
    ("web.xn--whatsapp-.com", "web.whatsapp.com"), ("xn--bcher-kva.de", "bucher.de"), ("xn--ls8h.la", "\U0001f4a9.la"),
    ("xn--#bad.com", "xn--#bad.com"), ("plain.example", "plain.example"),
])
def test_host_view_decodes_punycode_labels_and_keeps_what_does_not_decode(host, view):
    assert host_view(host) == view
