"""Where Sluice keeps its files: one `$SLUICE_HOME`, laid out by zone."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = ".sluice"
GROUP_ENV = {"training": "SLUICE_TRAINING_GROUP", "analyst": "SLUICE_ANALYST_GROUP"}  # role -> the env var naming its group


@dataclass(frozen=True)
class SluiceHome:
    """The file layout under `$SLUICE_HOME` (default `./.sluice`).

    - `inbox/`: where `sluice demo` simulates capture (the agents' landing folder);
    - `warehouse/private.duckdb`: the encrypted private zone;
    - `warehouse/training/<table>/date=D/v=<run>/`: the training zone (Parquet), trusted
      only through `warehouse/training/_published/D.json`;
    - `warehouse/analytics.duckdb`: the analyst zone, replaced by atomic rename;
    - `warehouse/_staging/<run>/` (0700): what a run is about to publish, moved into the zones
      only when it publishes, deleted otherwise;
    - `audit/`, `keys/` (0600) and `dagster/` (the Dagster instance) beside it;
    - `logs/<run>/`: what a `sluice run` kept of its run (Dagster's log, dbt's, what libraries printed).

    Each path is in one zone of `sluice/policy/access.yaml` (`zone_of`); `groups` names the local group of each role
    that reads a zone besides the pipeline (`SLUICE_TRAINING_GROUP`, `SLUICE_ANALYST_GROUP`; none: the pipeline's
    user alone reads everything, `sluice/platform/zone_access.py`).
    """

    root: Path
    groups: tuple[tuple[str, str], ...] = ()  # (role, group name)

    @classmethod
    def from_env(cls) -> "SluiceHome":
        groups = tuple((role, os.environ[env]) for role, env in GROUP_ENV.items() if os.environ.get(env))
        return cls(Path(os.environ.get("SLUICE_HOME", DEFAULT_HOME)).absolute(), groups)

    def group_of(self, role: str) -> str:
        return dict(self.groups).get(role, "")

    def zone_paths(self) -> dict[str, tuple[Path, ...]]:
        """Where each zone of the home is (a path and what is under it); `control` also holds whatever else the home
        has (default-deny)."""
        return {"raw": (self.inbox,), "private": (self.private_db, self.staging, self.warehouse / "shards"),
                "control": (self.keys, self.audit_log.parent, self.logs, self.dagster_home, self.dbt_target, self.spill),
                "training": (self.training,), "analytics": (self.analytics_db,)}

    def zone_of(self, path: Path) -> str:
        """The zone a path under the home is in: `control` for whatever no other zone holds."""
        for zone, tops in self.zone_paths().items():
            if zone != "control" and any(path == top or top in path.parents for top in tops):
                return zone
        if path.parent == self.warehouse and path.name.startswith(self.private_db.name):  # its .wal
            return "private"
        return "control"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse"

    @property
    def private_db(self) -> Path:
        return self.warehouse / "private.duckdb"

    @property
    def training(self) -> Path:
        return self.warehouse / "training"

    @property
    def markers(self) -> Path:
        return self.training / "_published"

    @property
    def analytics_db(self) -> Path:
        return self.warehouse / "analytics.duckdb"

    @property
    def staging(self) -> Path:
        """Where publish writes a day's files before it moves them in: readable by the pipeline only (0700),
        outside the training zone, on its filesystem (a move is a rename)."""
        return self.warehouse / "_staging"

    @property
    def audit_log(self) -> Path:
        return self.root / "audit" / "audit.jsonl"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder: one subfolder per run, and the partial parse the next run starts from."""
        return self.root / "dbt"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def run_logs(self, run_id: str) -> Path:
        """The logs of run `run_id` (`sluice run` writes them; dbt's is copied there by the models' step)."""
        return self.logs / run_id

    @property
    def spill(self) -> Path:
        """DuckDB's temp directory: inside the home, and encrypted (temp_file_encryption)."""
        return self.root / "tmp"

    def check_writable(self) -> None:
        """Raise the OS error (read-only, full, no permission) before a run starts rather than midway."""
        probe = self.root / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"\0" * 4096)
        probe.unlink()

    def ensure(self) -> "SluiceHome":
        """The home's folders; from here on, whatever the process makes is its user's alone (umask 077) until
        publish shares it with a zone's readers."""
        os.umask(0o077)
        for folder in (self.warehouse, self.training, self.markers, self.audit_log.parent, self.spill):
            folder.mkdir(parents=True, exist_ok=True)
        for private in (self.keys, self.staging):
            private.mkdir(parents=True, exist_ok=True, mode=0o700)
            if private.stat().st_mode & 0o777 != 0o700:  # made by an older version, or under another umask
                private.chmod(0o700)
        return self
