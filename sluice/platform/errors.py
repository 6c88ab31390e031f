"""Errors that carry a code and a short, value-free detail (policy rule 9)."""

from __future__ import annotations

import errno


class SluiceError(Exception):
    """An error of the environment or configuration: `code` names what, never a protected value."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


STORAGE_CODES = {errno.ENOSPC: "disk_full", errno.EDQUOT: "disk_full", errno.EROFS: "home_read_only",
                 errno.EACCES: "home_not_writable", errno.EPERM: "home_not_writable"}
STORAGE_HINT = ("the filesystem of $SLUICE_HOME refused a write. A day is published whole or not at all: "
                "free space (or make the home writable) and run the day again.")
DUCKDB_STORAGE_TEXTS = {"No space left on device": errno.ENOSPC, "Read-only file system": errno.EROFS}


def storage_error(exc: OSError) -> SluiceError:
    """An OS error of the home's storage, by its errno (its text names paths, and paths name days and devices)."""
    name = errno.errorcode.get(exc.errno or 0, "unknown")
    return SluiceError(STORAGE_CODES.get(exc.errno, "storage_error"), name)


def duckdb_error(message: str, cls_name: str) -> SluiceError:
    """A DuckDB error without its text (which can quote data): storage failures by errno, else a failed query."""
    number = next((n for text, n in DUCKDB_STORAGE_TEXTS.items() if text in message), None)
    if number is None:
        return SluiceError("private_zone_query_failed", cls_name)
    return SluiceError(STORAGE_CODES[number], f"{errno.errorcode[number]} ({cls_name})")
