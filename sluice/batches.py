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

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE_BYTES = 1 << 20
MAX_BATCH_BYTES = 512 << 20
READ_CHUNK = 1 << 18
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


def read_batch(stream: BinaryIO, report: BatchReport) -> Iterator[Line]:
    """Yield the lines of a gzip batch (several gzip members allowed), filling `report`."""
    splitter = _Splitter(report)
    inflater = zlib.decompressobj(GZIP_WBITS)
    produced, started, member_open = 0, False, False
    cut: str | None = None
    while cut is None and (data := stream.read(READ_CHUNK)):
        while data:
            try:
                out = inflater.decompress(data, READ_CHUNK)
            except zlib.error:
                report.error = "corrupt_gzip" if started else "not_gzip"
                cut = "corrupt_gzip"
                break
            started = member_open = True
            produced += len(out)
            if produced > MAX_BATCH_BYTES:  # the lines within the bound are read; the rest is one unreadable line
                yield from splitter.feed(out[: len(out) - (produced - MAX_BATCH_BYTES)])
                report.error = cut = "batch_too_large"
                break
            yield from splitter.feed(out)
            if inflater.eof:
                member_open = False
                data = inflater.unused_data
                inflater = zlib.decompressobj(GZIP_WBITS)
            else:
                data = inflater.unconsumed_tail
    if cut is None and member_open:
        try:
            yield from splitter.feed(inflater.flush())
        except zlib.error:
            pass
        if not inflater.eof:  # the agent crashed mid-write: the stream ends early
            report.truncated = True
            cut = "truncated_line"
    yield from splitter.finish(cut)
