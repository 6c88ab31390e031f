"""Errors that carry a code and a short, value-free detail (policy rule 9)."""

from __future__ import annotations


class SluiceError(Exception):
    """An error of the environment or configuration: `code` names what, never a protected value."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)
