"""Listed apps and domains under their aliases (rules 6 and 7): an app id in its detection view, in lower case,
without `.exe`/`.app`, or carrying a listed product's word; a URL host in its view without a trailing dot, its
punycode labels decoded, its subdomains included."""

from __future__ import annotations

import re

import duckdb
from duckdb.sqltypes import VARCHAR

from sluice.policy.base import quoted_lower
from sluice.policy.scope import Excluded
from sluice.redaction.normalize import fold_sql, fold_text

GENERIC_PIECES = frozenset({"com", "org", "net", "io", "app", "apps", "desktop", "mobile", "web", "client", "exe", "www"})
APP_SUFFIX = r"\.(?:exe|app)$"


def canonical_app(name: str) -> str:
    """An app id as the exclusion rules compare it: its detection view, lower case, without `.exe`/`.app`."""
    return re.sub(APP_SUFFIX, "", fold_text(name).lower())


def _app_words(apps: tuple[str, ...]) -> set[str]:
    """The product word of each listed app (`net.whatsapp.whatsapp`, `WhatsApp.exe`: `whatsapp`;
    `org.telegram.desktop`: `telegram`): an app id with that word as one of its pieces is the same product."""
    words = set()
    for app in apps:
        pieces = [p for p in re.split(r"[.\s_-]+", canonical_app(app)) if p and p not in GENERIC_PIECES]
        if pieces:
            words.add(pieces[-1])
    return words


HOST_VIEW_FUNCTION = "sluice_host_view"
# The URL's host as the domain rules compare it: in the detection view, lower case, without a trailing dot;
# then `host_view_sql` decodes its punycode labels (`xn--`, the ACE form of a Unicode label).
URL_HOST_SQL = f"rtrim(lower(regexp_extract({fold_sql('url')}, '^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]+)', 1)), '.')"


def host_view_sql(host: str) -> str:
    """SQL over a column `host` (as `URL_HOST_SQL` reads it): with punycode labels decoded (in Python, those hosts only)."""
    return f"CASE WHEN contains({host}, 'xn--') THEN {HOST_VIEW_FUNCTION}({host}) ELSE {host} END"


def host_view(host: str) -> str:
    """A host with each punycode label decoded, in the detection view, lower case (`web.xn--whatsapp-.com`, or
    the ACE form of a fullwidth `ｗｈａｔｓａｐｐ`: `web.whatsapp.com`). A label that does not decode stays as written."""
    labels = []
    for label in host.split("."):
        if label.lower().startswith("xn--"):
            try:
                label = label[4:].encode("ascii").decode("punycode")
            except UnicodeError:
                pass
        labels.append(label)
    return fold_text(".".join(labels)).lower().rstrip(".")


def register_host_view(con: duckdb.DuckDBPyConnection) -> None:
    """Make `host_view` callable from the connection's SQL (what `host_view_sql` calls)."""
    if not con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [HOST_VIEW_FUNCTION]).fetchone()[0]:
        con.create_function(HOST_VIEW_FUNCTION, host_view, [VARCHAR], VARCHAR)


def app_or_domain(excluded: Excluded) -> str:
    """SQL: the event's app is listed, under any of its aliases (case, Unicode forms, `.exe`/`.app`, a bundle id
    or display name with the product's word), or its URL host is a listed domain or a subdomain of one."""
    parts = ["false"]
    if excluded.apps:
        app = f"regexp_replace(lower({fold_sql('app')}), '{APP_SUFFIX}', '')"
        parts.append(f"{app} IN {quoted_lower({canonical_app(a) for a in excluded.apps})}")
        parts.append(f"list_has_any(regexp_split_to_array({app}, '[.\\s_-]+'), [{', '.join(repr(w) for w in sorted(_app_words(excluded.apps)))}])")
    for domain in excluded.domains:
        d = domain.lower().replace("'", "''")
        parts.append(f"(url_host = '{d}' OR ends_with(url_host, '.{d}'))")
    return "coalesce(" + " OR ".join(parts) + ", false)"
