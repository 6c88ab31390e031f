"""What a publication was made under: the code's version and the privacy policy's, beside the scope manifest's.

Both are digests of the files themselves, so two builds that differ in one rule never share a version:
`code_version` is the package version and a digest of the pipeline's code, models and suites; `policy_version`
a digest of the rules alone (`sluice/policy/`, `sluice/redaction/`), which changes only when a rule does.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ("sluice/**/*.py", "sluice/**/*.yaml", "assets/*.py", "orchestration/*.py", "definitions.py", "dbt_project/models/**/*",
        "dbt_project/macros/**/*", "dbt_project/tests/**/*", "expectations/*.json")
POLICY = ("sluice/policy/*.py", "sluice/policy/*.yaml", "sluice/redaction/*.py")


def _digest(patterns: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for path in sorted({p for pattern in patterns for p in ROOT.glob(pattern) if p.is_file()}):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@cache
def code_version() -> str:
    return f"{version('sluice')}+{_digest(CODE)}"


@cache
def policy_version() -> str:
    return f"policy-{_digest(POLICY)}"
