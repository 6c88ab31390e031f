"""Read one capture batch (gzip JSON Lines) line by line, with bounded decompression.

Every line that can be read is yielded as text; every line that cannot is yielded with a
reason, so nothing is dropped silently:

- `unreadable:truncated_line`: the gzip stream ended early (agent crashed) mid-line;
- `unreadable:corrupt_gzip`: the stream is damaged from here on (the partial line);
- `unreadable:not_utf8`, `unreadable:empty_line`, `unreadable:line_too_long`;
- `unreadable:batch_too_large`: what is past the size bound, as one line (decompression stopped there: gzip bomb).

Batch-level facts (truncated, corrupt, not gzip at all) are returned in `BatchReport`.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE_BYTES = 1 << 20
MAX_BATCH_BYTES = 512 << 20
READ_CHUNK = 1 << 18
FAST_BYTES = 64 << 20  # a clean batch up to this size (decompressed) is split in bulk
GZIP_WBITS = 31


@dataclass
class BatchReport:
    lines: int = 0
    unreadable: int = 0
    truncated: bool = False
    error: str | None = None  # batch-level: not_gzip, corrupt_gzip, batch_too_large


@dataclass(frozen=True)
class Line:
    number: int
    text: str | None
    reason: str | None


class _Splitter:
    """Turns decompressed chunks into lines without ever holding more than one bounded line."""

    def __init__(self, report: BatchReport) -> None:
        self.report = report
        self.pending = bytearray()
        self.overflow = False

    def _emit(self, raw: bytes | bytearray, overflow: bool) -> Line:
        self.report.lines += 1
        number = self.report.lines
        if overflow:
            return self._bad(number, "line_too_long")
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if not raw.strip():
            return self._bad(number, "empty_line")
        try:
            return Line(number, bytes(raw).decode("utf-8"), None)
        except UnicodeDecodeError:
            return self._bad(number, "not_utf8")

    def _bad(self, number: int, reason: str) -> Line:
        self.report.unreadable += 1
        return Line(number, None, f"unreadable:{reason}")

    def feed(self, data: bytes) -> Iterator[Line]:
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                break
            if self.pending or self.overflow:
                self.pending += data[start:end]
                yield self._emit(self.pending, self.overflow or len(self.pending) > MAX_LINE_BYTES)
                self.pending, self.overflow = bytearray(), False
            else:
                yield self._emit(data[start:end], end - start > MAX_LINE_BYTES)
            start = end + 1
        if not self.overflow:
            self.pending += data[start:]
            if len(self.pending) > MAX_LINE_BYTES:
                self.pending, self.overflow = bytearray(), True

    def finish(self, cut: str | None) -> Iterator[Line]:
        """The bytes after the last newline: a line, unless the stream was cut (then unreadable).

        Past the size bound there always are such bytes, left undecompressed.
        """
        if self.pending or self.overflow or cut == "batch_too_large":
            if cut:
                self.report.lines += 1
                yield self._bad(self.report.lines, cut)
            else:
                yield self._emit(self.pending, self.overflow)
        self.pending, self.overflow = bytearray(), False


class _Inflater:
    """Decompressed chunks of a gzip batch (several members allowed), within MAX_BATCH_BYTES.

    Fills the report's batch-level facts; `cut` names why the stream ended early, if it did.
    """

    def __init__(self, stream: BinaryIO, report: BatchReport) -> None:
        self.stream, self.report = stream, report
        self.cut: str | None = None

    def chunks(self) -> Iterator[bytes]:
        report = self.report
        inflater = zlib.decompressobj(GZIP_WBITS)
        produced, started, member_open = 0, False, False
        while self.cut is None and (data := self.stream.read(READ_CHUNK)):
            while data:
                try:
                    out = inflater.decompress(data, READ_CHUNK)
                except zlib.error:
                    report.error = "corrupt_gzip" if started else "not_gzip"
                    self.cut = "corrupt_gzip"
                    break
                started = member_open = True
                produced += len(out)
                if produced > MAX_BATCH_BYTES:  # the lines within the bound are read; the rest is one unreadable line
                    yield out[: len(out) - (produced - MAX_BATCH_BYTES)]
                    report.error = self.cut = "batch_too_large"
                    break
                yield out
                if inflater.eof:
                    member_open = False
                    data = inflater.unused_data
                    inflater = zlib.decompressobj(GZIP_WBITS)
                else:
                    data = inflater.unconsumed_tail
        if self.cut is None and member_open:
            try:
                yield inflater.flush()
            except zlib.error:
                pass
            if not inflater.eof:  # the agent crashed mid-write: the stream ends early
                report.truncated = True
                self.cut = "truncated_line"


def read_batch(stream: BinaryIO, report: BatchReport) -> Iterator[Line]:
    """Yield the lines of a gzip batch (several gzip members allowed), filling `report`."""
    inflater = _Inflater(stream, report)
    splitter = _Splitter(report)
    for out in inflater.chunks():
        yield from splitter.feed(out)
    yield from splitter.finish(inflater.cut)


def inflate(data: bytes) -> bytes | None:
    """A whole batch decompressed as `read_batch` reads it: every member, and what a cut or damaged stream still
    yields (nothing of what is not gzip); None past the size bound (a bomb)."""
    report = BatchReport()
    inflated = b"".join(_Inflater(io.BytesIO(data), report).chunks())
    return None if report.error == "batch_too_large" else inflated


def _clean_text(data: bytes) -> str | None:
    """The batch's lines as one text (without the last newline) when every line would be read as
    it is: UTF-8, no carriage return, each line starting with `{` (so none is empty) and within
    MAX_LINE_BYTES. None otherwise."""
    if not data:
        return ""
    body = data[:-1] if data.endswith(b"\n") else data  # a batch of one newline is one empty line: not clean
    if b"\r" in body or not body.startswith(b"{") or body.count(b"\n") != body.count(b"\n{"):
        return None
    if len(body) > MAX_LINE_BYTES and max(map(len, body.split(b"\n"))) > MAX_LINE_BYTES:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_batch_text(stream: BinaryIO, report: BatchReport) -> str | None:
    """A clean batch (the common case) as one text of newline-separated lines, for bulk splitting,
    with `report` filled; None for any other batch, which `read_batch` reads line by line (the same
    lines a clean batch splits into). Only a batch within FAST_BYTES is held whole."""
    inflater = _Inflater(stream, report)
    head: list[bytes] = []
    size = 0
    for out in inflater.chunks():
        head.append(out)
        size += len(out)
        if size > FAST_BYTES:
            return None
    text = _clean_text(b"".join(head)) if inflater.cut is None else None
    if text is not None:
        report.lines = text.count("\n") + 1 if text else 0
    return text
