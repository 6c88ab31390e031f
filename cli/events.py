"""What a run's Dagster events say, in words that are safe to print: an error's class and Sluice code,
a failed gate's rule-named counts. Never an error's message, which can echo a value."""

from __future__ import annotations

import errno
import re

import dagster as dg

from sluice.platform.errors import STORAGE_CODES, storage_error
from sluice.quality.clearance import REFUSED
from sluice.quality.gates import Gate


def root_error(event: dg.DagsterEvent):
    """The error a step failed with, under Dagster's own wrappers."""
    error = event.step_failure_data.error if event.step_failure_data else None
    while error is not None and error.cause is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error


def safe_error_name(event: dg.DagsterEvent) -> str:
    """The error's class (and Sluice's code), never its message: messages can echo values."""
    error = root_error(event)
    if error is None:
        return "unknown"
    if error.cls_name == "SluiceError":
        code, _, detail = error.message.split("SluiceError:", 1)[-1].strip().partition(":")
        if code in STORAGE_CODES.values():  # its detail is an errno's name (`storage_error`), value-free
            return f"SluiceError({code}: {detail.strip()})"
        return f"SluiceError({code})"
    if (number := re.search(r"\[Errno (\d+)\]", error.message)) and int(number[1]) in errno.errorcode:
        os_error = storage_error(OSError(int(number[1]), ""))
        return f"{error.cls_name}({os_error.detail}: {os_error.code})"
    return error.cls_name


def is_refusal(event: dg.DagsterEvent) -> bool:
    """The publisher refused the day (`sluice.quality.clearance`): a block, whatever the wiring did."""
    return safe_error_name(event) == f"SluiceError({REFUSED})"


def gate_counts(evaluation: dg.AssetCheckEvaluation) -> dict[str, int]:
    """What broke a failed check: its rule-named counts (all its counts when it has none), never a value."""
    counts = {k: v.value for k, v in evaluation.metadata.items() if type(v.value) is int}
    return Gate(evaluation.check_name, False, "", counts).named_counts() or counts


def refusal_counts(event: dg.DagsterEvent) -> dict[str, int]:
    """The publisher's refusal: its counts, from the error's text (counts only)."""
    detail = root_error(event).message.split(f"{REFUSED}:", 1)[-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", detail)}
