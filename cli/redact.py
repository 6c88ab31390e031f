"""`sluice redact`: JSON Lines in (`{"text": ..., "scope": optional}`), JSON Lines out
(`{"text": redacted, "findings": [{"type", "start", "end"}]}`), one output line per input line.

A line that is not a JSON object with a string `text` gets `{"error": <code>}` and its line
number on stderr; nothing it contained is ever echoed. Placeholders are numbered per
`scope` (a conversation, say); a line without one is its own scope.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from sluice.redaction.engine import Redactor, redact_texts

CHUNK = 50_000


def _directory_names(path: Path | None) -> list[str]:
    if path is None:
        return []
    with path.open(newline="") as handle:
        return [row["name"] for row in csv.DictReader(handle) if row.get("name")]


def _parse(number: int, line: str) -> tuple[str, str] | str:
    """(text, scope), or an error code."""
    try:
        item = json.loads(line)
    except ValueError:
        return "not_json"
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return "no_text"
    scope = item.get("scope")
    return item["text"], scope if isinstance(scope, str) else f"line:{number}"


def _chunks(stream: TextIO) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, line in enumerate(stream, start=1):
        chunk.append((number, line))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(directory: Path | None, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    redactor = Redactor.for_directory(_directory_names(directory))
    errors = 0
    for chunk in _chunks(stdin):
        parsed = [_parse(number, line) for number, line in chunk]
        good = [p for p in parsed if isinstance(p, tuple)]
        texts, findings = redact_texts([t for t, _ in good], redactor, [s for _, s in good], with_findings=True) if good else ([], [])
        results = iter(zip(texts, findings))
        for (number, _), item in zip(chunk, parsed):
            if isinstance(item, str):
                errors += 1
                print(f"sluice redact: line {number}: {item}", file=stderr)
                stdout.write(json.dumps({"error": item}) + "\n")
            else:
                text, found = next(results)
                stdout.write(json.dumps({"text": text, "findings": found}, ensure_ascii=False) + "\n")
    return 1 if errors else 0
