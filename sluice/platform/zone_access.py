"""The zones on the local default: `access.yaml` as file modes, and what a home's real modes break.

Everything the pipeline makes is its user's alone (the home sets umask 077): identifying zones (raw, private,
control) stay 0700/0600. A published zone a role reads (training: `training`; analytics: `analyst`) is given to
that role's local group, read-only (0750/0640), when the home names one (`SLUICE_TRAINING_GROUP`,
`SLUICE_ANALYST_GROUP`); without one it stays the pipeline user's. The home and `warehouse/` are then only
traversable by others (0711): a reader reaches the file its group may read and can list nothing else.

`findings` does not trust this table: it walks the home and works out, for every path, who can really reach it
(every folder above it included) and names each zone that someone outside its readers can read or anyone but the
pipeline can write, as `<zone>:<rule>`. `inbox_findings` does the same for a local capture inbox outside the home
(raw: the pipeline's alone to read). The `storage_security` gate refuses a day on any.
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sluice.platform.errors import SluiceError
from sluice.platform.home import GROUP_ENV, SluiceHome
from sluice.platform.s3 import is_s3
from sluice.policy.access import access_policy


@cache
def zone_gid(home: SluiceHome, zone: str) -> int | None:
    """The local group that reads `zone`, if the home names one for a role that reads it."""
    readers = access_policy().zones[zone].readers()
    names = {home.group_of(role) for role in readers} - {""}
    if not names:
        return None
    if len(names) > 1:
        raise SluiceError("configuration", f"the {zone} zone is shared with one local group only")
    name = names.pop()
    if name.isdigit():  # a numeric gid, as containers often have no /etc/group entry for it
        return int(name)
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        envs = ", ".join(GROUP_ENV[role] for role in readers if role in GROUP_ENV)
        raise SluiceError("configuration", f"{envs} names no group of this machine") from None


def _route(home: SluiceHome) -> tuple[Path, ...]:
    return home.root, home.warehouse


def _wanted(home: SluiceHome, path: Path, mode: int, zone: str | None) -> tuple[int, int | None]:
    """The mode bits and group `path` should have (its owner's bits are kept)."""
    owner, folder = mode & 0o700, stat.S_ISDIR(mode)
    if path in _route(home):
        shared = any(zone_gid(home, z) is not None for z in access_policy().shared())
        return owner | (0o011 if shared else 0), None
    gid = zone_gid(home, zone or home.zone_of(path))
    if gid is None:
        return owner, None
    return owner | (0o050 if folder else 0o040), gid


def share(home: SluiceHome, path: Path, zone: str | None = None) -> bool:
    """Give `path` the mode and group of its zone (`zone`: the zone it is about to be moved into); True if changed.
    A path gone meanwhile (a running webserver's or daemon's temporary file) is left alone."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        return False
    mode, gid = _wanted(home, path, st.st_mode, zone)
    changed = False
    if gid is not None and st.st_gid != gid:
        try:
            os.chown(path, -1, gid)
        except PermissionError:
            raise SluiceError("configuration", "the pipeline's user may not give files to the zone's group") from None
        changed = True
    if stat.S_IMODE(st.st_mode) != mode:
        try:
            os.chmod(path, mode)
        except FileNotFoundError:
            return changed
        changed = True
    return changed


def share_tree(home: SluiceHome, top: Path, zone: str | None = None) -> int:
    """`share` `top` and everything below it; the number of paths changed."""
    changed = int(share(home, top, zone))
    for folder, dirs, files in os.walk(top):
        changed += sum(share(home, Path(folder) / name, zone) for name in (*dirs, *files))
    return changed


def secure_home(home: SluiceHome) -> int:
    """Every path of the home to its zone's mode (a home of an older version, or one loosened by hand); the number
    of paths changed."""
    return share_tree(home, home.root)


@dataclass(frozen=True)
class _Reach:
    """Who besides the owner gets as far as a path: everyone (`anyone`), or members of `groups`."""

    anyone: bool
    groups: frozenset[int]

    def through(self, st: os.stat_result) -> "_Reach":
        """Who gets through the folder `st` into what it holds (by its others' bit, or its group's)."""
        others = bool(st.st_mode & stat.S_IXOTH)
        member = (self.anyone or st.st_gid in self.groups) and bool(st.st_mode & stat.S_IXGRP)
        return _Reach(self.anyone and others, (self.groups if others else frozenset()) | ({st.st_gid} if member else set()))

    def rules(self, st: os.stat_result, readers: int | None, owner: int | None) -> set[str]:
        found = set()
        if owner is not None and st.st_uid != owner:
            found.add("foreign_owner")
        if (self.anyone or self.groups) and st.st_mode & (stat.S_IROTH | stat.S_IWOTH):
            found.add("world_readable" if st.st_mode & stat.S_IROTH else "world_writable")
        if self.anyone or st.st_gid in self.groups:
            if st.st_mode & stat.S_IWGRP:
                found.add("group_writable")
            if st.st_mode & stat.S_IRGRP and st.st_gid != readers:
                found.add("group_readable")
        return found


def _reach_of(path: Path) -> _Reach:
    """Who gets as far as `path`, through each real folder above it."""
    reach = _Reach(True, frozenset())
    for folder in reversed(path.parents):
        reach = reach.through(os.stat(folder))
    return reach


def _scan(top: Path, reach: _Reach, zone_of: Callable[[Path], str], readers: Callable[[str], int | None],
          owner: int | None) -> list[str]:
    """`<zone>:<rule>` of every path from `top` down that `reach` gets to (a folder nobody gets through ends it)."""
    found = set()

    def visit(path: Path, reach: _Reach) -> None:
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                return
            zone = zone_of(path)
            found.update(f"{zone}:{rule}" for rule in reach.rules(st, readers(zone), owner))
            inner = reach.through(st) if stat.S_ISDIR(st.st_mode) else None
            children = list(path.iterdir()) if inner and (inner.anyone or inner.groups) else []
        except FileNotFoundError:  # gone meanwhile (a running webserver's or daemon's temporary file)
            return
        for child in children:
            visit(child, inner)

    if top.exists():
        visit(top, reach)
    return sorted(found)


def findings(home: SluiceHome) -> list[str]:
    """`<zone>:<rule>` for each zone of the home whose paths someone outside its readers can read, or anyone but the
    pipeline's user can write or owns; rules: world_readable, world_writable, group_readable, group_writable,
    foreign_owner. The home must keep itself closed: its parent is taken as open to everyone."""
    owner = os.lstat(home.root).st_uid if home.root.exists() else None
    return _scan(home.root, _Reach(True, frozenset()), home.zone_of, lambda zone: zone_gid(home, zone), owner)


def inbox_findings(raw_root: Path) -> list[str]:
    """The same for a local capture inbox outside the home (`SLUICE_RAW`): the raw zone, which only the pipeline
    reads. It is the operator's folder, so who can reach it is worked out through the real folders above it; its
    batches may belong to the agents that put them (no `foreign_owner`)."""
    return _scan(raw_root, _reach_of(raw_root), lambda path: "raw", lambda zone: None, None) if raw_root.exists() else []


def access_findings(home: SluiceHome, raw_root: str) -> dict[str, list[str]]:
    """The findings of the home, and of the capture inbox (`raw_root`) when it is a local folder outside the home."""
    found = {"home": findings(home)}
    inbox = Path(raw_root).absolute() if raw_root and not is_s3(raw_root) else None
    if inbox is not None and home.root not in (inbox, *inbox.parents):
        found["inbox"] = inbox_findings(inbox)
    return found
