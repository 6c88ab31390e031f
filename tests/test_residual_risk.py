"""The second layer (sluice/policy/residual_risk.py): shapes, not values, found apart from the redaction engine."""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import duckdb
import pytest
from adversarial import CORPUS

from sluice.policy import residual_risk
from sluice.policy.residual_risk import CONTENT_COLUMNS, signal_sql
from sluice.policy.scope import default_manifest
from sluice.quality import gates

FLAGGED = {
    "digit_run": ["call 415 555 0172 tonight", "ssn 219.09.9999", "employee E123450001 asked", "acct 0532/0130/00 ok",
                  "card ４５３９ １４８８ ０３４３ ６４６７"],
    "at_sign": ["mail jane＠example.com", "write to dana.w@corp", "ping ops@\u200bexample.org"],
    "secret_assignment": ["db_pass = hunter2!", '"apiKey": "abcd1234"', "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI",
                          "Password: Tr0ub4dor&3", "mysql -u root -pS3cretPass42 db", "psql --password Wint3r!26"],
    "url_credential": ["https://x.example.com/cb?state=ok&code=4/0AfJohXn9Wq", "/dl?id=7&sig=0badc0ffee99x"],
    "person_cue": ["Dear Oluwaseun, thanks", "ask Dr. Xu about it", "Patient Brzęczyszczykiewicz moved"],
    "network_address": ["learned 0050.56c0.0001 on gi0/1", "beacon to 203.0.113[.]45", "c2 10(dot)20(dot)30(dot)40"],
    "id_code": ["codice RCCMNL83S18D969H", "tax id MRTMTT91D08F205J ok", "ref X7Y2Z9K4Q1W8"],
    "long_token": ["key sk-proj-A1b2C3d4E5f6G7h8I9j0K1l2", "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
                   "use ghp_16C7e42F292c6912E7710c838347Ae178B4a now"],
}
CLEAN = ["How do I rewrite this query to use a window function? <EMAIL_1>", "order 12345678 shipped", "v1.2.3 released 2026-11-02",
         "@jane thanks for the review", "transformation_pipeline_runner failed", "password: <SECRET_1>", "token=<URL_TOKEN_1>",
         "https://docs.example.com/d/9f3ab2c1de/edit", "Pull request #1234 · sluice", "e4 e5 Nf3 Nc6 Bb5 a6", "47.6062, -122.3321",
         "meet at 10:30, room 4.12", "port 5432 and 8080", "$1,299.99 per seat", "PROJ-4521 is blocked",
         "at 2026-11-30T05:44:42Z it failed", "build 4.12.1-rc2 ok", "x86_64 sha256 utf-8", "INC0012345 opened", "CANARY-OK-0001x1234", "DNI 54362315-K", "Authorization: Basic <SECRET_6>", "Bearer <SECRET_1> ok",
         "Dear <PERSON_1>, thanks", "mr. robot s01e02", None]


def signal(**row) -> str | None:
    values = [row.get(c) for c in CONTENT_COLUMNS]
    columns = ", ".join(f"?::VARCHAR AS {c}" for c in CONTENT_COLUMNS)
    return duckdb.execute(f"SELECT {signal_sql()} FROM (SELECT {columns})", values).fetchone()[0]


@pytest.mark.parametrize("expected, text", [(s, t) for s, texts in FLAGGED.items() for t in texts])
def test_each_signal_finds_its_shape_in_any_content_column(expected, text):
    assert signal(text=text) == expected
    assert signal(window_title=text) == expected and signal(app=text) == expected


@pytest.mark.parametrize("text", CLEAN)
def test_clean_text_and_placeholders_raise_nothing(text):
    assert signal(text=text, window_title=text, url=text) is None


def test_it_shares_nothing_with_the_redaction_engine():
    """Another family: no detector, validator or directory of the engine is imported, only the view (and the
    Census lists, read its own way)."""
    tree = ast.parse(Path(residual_risk.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported == {"__future__", "sluice.redaction.normalize", "sluice.privacy.lexicons"}


def test_alone_it_withholds_every_unredacted_red_team_value_but_names():
    """With the engine off, the second layer still flags each variant that is not a person's name (names need
    the name detector), but two national ids shaped like ordinary ticket numbers (a DNI: eight digits and a
    letter; a UK NI number spaced in pairs): flagging those shapes would withhold every ticket id, so they rest
    on the engine's checksum detector (known)."""
    missed = [v.value for v in CORPUS if v.field == "text" and v.kind != "PERSON" and signal(text=v.text) is None]
    assert missed == ["54362315-K", "JG 10 37 59 A"]


def name_pairs(texts: list[str]) -> list[str]:
    con = duckdb.connect()
    residual_risk.load_lexicon(con)
    con.execute("CREATE TABLE rows AS SELECT i AS k, t AS text, NULL::VARCHAR AS app, NULL::VARCHAR AS url_host, NULL::VARCHAR AS"
                " window_title, NULL::VARCHAR AS url, NULL::VARCHAR AS model FROM (SELECT unnest(?) AS t, unnest(range(len(?))) AS i)",
                [texts, texts])
    flagged = {k for (k,) in con.execute(residual_risk.name_pair_rows_sql("rows", "k")).fetchall()}
    return [t for i, t in enumerate(texts) if i in flagged]


def test_a_given_name_and_a_surname_in_a_row_are_flagged_without_cue_or_guard():
    texts = ["ask Maria Okafor", "ping Will Smith now", "Dear <PERSON_1>, hi", "the Rose Gold theme", "Google Docs",
             "Pull Request review", "meet ｊｏｈｎ ｓｍｉｔｈ", "JOHN SMITH", "Mary Jane Watson called", "john smith"]
    assert name_pairs(texts) == ["ask Maria Okafor", "ping Will Smith now", "the Rose Gold theme", "Mary Jane Watson called"]


def test_alone_it_flags_the_red_team_names_but_those_without_a_cue_or_a_census_pair():
    """What the second layer does not see of names (the engine's finders take them): names split or joined,
    in capitals, a single given name after a relation, and names the Census lists do not hold."""
    names = [v for v in CORPUS if v.kind == "PERSON" and v.field == "text"]
    by_pair = set(name_pairs([v.text for v in names]))
    missed = sorted({unicodedata.normalize("NFC", v.value) for v in names if v.text not in by_pair and signal(text=v.text) is None})
    assert missed == ["Chloe", "GARCÍA, JOSÉ", "José M. García", "Lekha Salvi", "Maria J. Okafor", "ReneeDubois", "ZOË ÅNGSTRÖM",
                      "Zoe Angstrom", "garcia", "jose-garcia", "renee_dubois", "zangstrom"]


def test_the_rate_of_withheld_rows_blocks_above_the_manifest():
    manifest = default_manifest()
    assert manifest.residual_risk_max_rate == 0.005
    assert gates.residual_risk({"promoted": 1000, "excluded:residual_risk": 5, "withheld:digit_run": 5}, manifest).passed
    gate = gates.residual_risk({"promoted": 1000, "excluded:residual_risk": 6, "withheld:long_token": 6}, manifest)
    assert not gate.passed and gate.counts["withheld:long_token"] == 6 and gate.counts["rate_ppm"] == 5964
    assert gates.residual_risk({"promoted": 0}, manifest).passed  # an empty day
