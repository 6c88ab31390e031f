"""Secrets: the private-zone encryption key and the pseudonym (HMAC) key.

Keys come from the environment (`SLUICE_ENCRYPTION_KEY`, `SLUICE_PSEUDONYM_KEY`). For the
local default they are generated once into `$SLUICE_HOME/keys/` (mode 0600): read there by the
resource when a run starts (`local_keys`), or exported to the process environment by the `sluice`
command (`ensure_keys`), where Dagster resources read them via EnvVar.
In production `SLUICE_KEY_SECRETS` names two AWS Secrets Manager secrets instead
(encryption, pseudonym); then no key is generated, written or exported.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ENCRYPTION_KEY_ENV = "SLUICE_ENCRYPTION_KEY"
PSEUDONYM_KEY_ENV = "SLUICE_PSEUDONYM_KEY"
KEY_SECRETS_ENV = "SLUICE_KEY_SECRETS"
KEY_FILES = {ENCRYPTION_KEY_ENV: "encryption.key", PSEUDONYM_KEY_ENV: "pseudonym.key"}


@dataclass(frozen=True)
class Keys:
    encryption: str
    pseudonym: str

    def __repr__(self) -> str:  # a traceback or a debugger must not print them
        return "Keys(<redacted>)"


def _read_or_create(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def local_keys(keys_dir: Path) -> Keys:
    """The keys of the local default, from `keys_dir` (made there the first time)."""
    return Keys(_read_or_create(keys_dir / KEY_FILES[ENCRYPTION_KEY_ENV]), _read_or_create(keys_dir / KEY_FILES[PSEUDONYM_KEY_ENV]))


def ensure_keys(keys_dir: Path) -> None:
    """Export every key that the environment does not already give, from `keys_dir`."""
    for env_name, file_name in KEY_FILES.items():
        if not os.environ.get(env_name):
            os.environ[env_name] = _read_or_create(keys_dir / file_name)
