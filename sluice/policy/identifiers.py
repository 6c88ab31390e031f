"""Policy rule 3 for identifier-like fields: default-deny.

`app` and `model` are sent by agents as they please, so a value is published only when it is known or
plainly harmless: an app of the catalog (`catalog.yaml`, beside the scope manifest), or one with the
strict shape of an application id (`com.vendor.Product`, `tool.exe`: dot- or dash-separated words, each
starting with a letter), no run of two digits, and no piece that is a directory name or id. Anything
else becomes `<APP_OTHER>` (analytics counts those events under it). A model of the catalog is published,
any other becomes `<MODEL_OTHER>`. A URL keeps its scheme, host and path only (userinfo, port, query and
fragment never leave the private zone); one that is not `scheme://host...` becomes `<URL_OTHER>`. All of
it is read in the detection view (`fold_sql`): a fullwidth or zero-width-split value is judged as what it
stands for.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from sluice.policy.base import quoted_lower
from sluice.redaction.normalize import fold_sql

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
APP_OTHER, MODEL_OTHER, URL_OTHER = "<APP_OTHER>", "<MODEL_OTHER>", "<URL_OTHER>"
APP_SHAPE = r"^[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z][A-Za-z0-9]*){0,6}$"
URL_PARTS = r"^([a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^/?#@]*@)?([^/?#:]+)(?::[0-9]*)?([^?#]*)"


@cache
def catalog() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load(CATALOG_PATH.read_text())
    return {"apps": tuple(raw["apps"]), "models": tuple(raw["models"])}


def published_values_sql(kind: str, source: str) -> str:
    """SQL: a table (value, published) for every distinct `kind` ('app' or 'model') in `source`'s column of
    that name, judged once per value against the catalog and the directory (`directory`)."""
    view = fold_sql("value")
    if kind == "model":
        verdict = f"CASE WHEN lower({view}) IN {quoted_lower(catalog()['models'])} THEN value ELSE '{MODEL_OTHER}' END"
    else:
        verdict = f"""CASE
          WHEN lower({view}) IN {quoted_lower(catalog()['apps'])} THEN value
          WHEN regexp_full_match({view}, '{APP_SHAPE}') AND NOT regexp_matches({view}, '[0-9]{{2}}')
               AND NOT EXISTS (SELECT 1 FROM identifiers i WHERE list_contains(pieces, i.piece)
                                                          OR (length(i.piece) >= 4 AND contains(lower({view}), i.piece)))
            THEN {view}
          ELSE '{APP_OTHER}' END"""
    return f"""
        WITH identifiers AS (
          SELECT DISTINCT piece FROM (
            SELECT unnest(regexp_extract_all(lower({fold_sql('name')}), '[a-z]{{3,}}')) AS piece FROM directory
            UNION ALL SELECT lower(employee_id) FROM directory WHERE employee_id IS NOT NULL))
        SELECT value, {verdict} AS published
        FROM (SELECT DISTINCT {kind} AS value, regexp_extract_all(lower({fold_sql(kind)}), '[a-z0-9]+') AS pieces
              FROM {source} WHERE {kind} IS NOT NULL)"""


def url_sql(column: str = "url") -> str:
    """Scheme, host and path of the URL, nothing else."""
    return (f"CASE WHEN {column} IS NULL THEN NULL WHEN regexp_matches({column}, '{URL_PARTS}') "
            f"THEN regexp_replace({column}, '(?s){URL_PARTS}.*$', '\\1\\2\\3') ELSE '{URL_OTHER}' END")
