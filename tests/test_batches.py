import gzip
import io

import pytest

from sluice.ingest import batches
from sluice.ingest.batches import BatchReport, read_batch


def _read(data: bytes):
    report = BatchReport()
    lines = list(read_batch(io.BytesIO(data), report))
    return [(line.text, line.reason) for line in lines], report


def test_complete_batch_yields_every_line():
    lines, report = _read(gzip.compress(b'{"a":1}\n{"b":2}\n'))
    assert lines == [('{"a":1}', None), ('{"b":2}', None)]
    assert report == BatchReport(lines=2, unreadable=0, truncated=False, error=None)


def test_truncated_stream_keeps_readable_lines_and_counts_the_cut_one():
    full = gzip.compress(b'{"a":1}\n{"b":2}\n{"c":3, "long": "' + b"x" * 500 + b'"}\n')
    lines, report = _read(full[: len(full) // 2])
    assert report.truncated and report.error is None
    assert lines[-1] == (None, "unreadable:truncated_line")
    assert [t for t, _ in lines[:-1]] == ['{"a":1}', '{"b":2}']
    assert report.unreadable == 1 and report.lines == 3


def test_several_gzip_members_and_a_last_line_without_newline():
    lines, report = _read(gzip.compress(b'{"a":1}\n') + gzip.compress(b'{"b":2}'))
    assert lines == [('{"a":1}', None), ('{"b":2}', None)]
    assert not report.truncated


@pytest.mark.parametrize("data,error", [(b"not gzip at all", "not_gzip"), (b"", None)])
def test_unreadable_or_empty_batch_is_reported_not_raised(data, error):
    lines, report = _read(data)
    assert lines == [] and report.error == error


def test_bad_lines_get_reasons(monkeypatch):
    monkeypatch.setattr(batches, "MAX_LINE_BYTES", 100)
    lines, report = _read(gzip.compress(b'\n\xff\xfe\n' + b"x" * 1000 + b'\n{"ok":1}\r\n'))
    assert [r for _, r in lines] == ["unreadable:empty_line", "unreadable:not_utf8", "unreadable:line_too_long", None]
    assert lines[-1][0] == '{"ok":1}'
    assert report.unreadable == 3


def test_decompression_is_bounded(monkeypatch):
    monkeypatch.setattr(batches, "MAX_BATCH_BYTES", 1 << 20)
    bomb = gzip.compress(b"a" * (64 << 20))  # 64 MiB of output from ~64 KiB of input
    lines, report = _read(bomb)
    assert report.error == "batch_too_large"
    assert lines == [(None, "unreadable:batch_too_large")]


def test_a_bomb_keeps_the_lines_within_the_bound_and_counts_the_rest(monkeypatch):
    """The decompressed chunk that crosses the bound used to be dropped whole: its lines were neither read nor counted."""
    monkeypatch.setattr(batches, "MAX_BATCH_BYTES", 1000)
    lines, report = _read(gzip.compress((b"x" * 99 + b"\n") * 20))
    assert lines == [("x" * 99, None)] * 10 + [(None, "unreadable:batch_too_large")]
    assert report == BatchReport(lines=11, unreadable=1, truncated=False, error="batch_too_large")


@pytest.mark.parametrize("content, lines", [(b"", 0), (b"\n", 1), (b"\n\n", 2)])
def test_a_batch_of_empty_lines_is_never_taken_for_a_clean_one(content, lines):
    """Found by the fuzz suite: the bulk reader took a batch of one newline for an empty batch (a line lost)."""
    report = BatchReport()
    text = batches.read_batch_text(io.BytesIO(gzip.compress(content)), report)
    assert text == ("" if not content else None)  # None: read line by line, each empty line counted
    read, line_report = _read(gzip.compress(content))
    assert read == [(None, "unreadable:empty_line")] * lines and line_report.lines == lines


def test_inflate_gives_the_bytes_read_batch_reads(monkeypatch):
    """One reader for landing and erasure: a whole batch's bytes, members joined, what a cut stream still yields."""
    first, second = gzip.compress(b'{"a":1}\n'), gzip.compress(b'{"b":2}\n{"c":3, "long": "' + b"x" * 500 + b'"}\n')
    whole = b'{"a":1}\n{"b":2}\n{"c":3, "long": "' + b"x" * 500 + b'"}\n'
    assert batches.inflate(first + second) == whole
    cut = batches.inflate((first + second)[:-12])  # the agent crashed mid-write
    assert whole.startswith(cut) and cut.startswith(b'{"a":1}\n{"b":2}')
    assert batches.inflate(b"not gzip at all") == b""
    monkeypatch.setattr(batches, "MAX_BATCH_BYTES", 64)
    assert batches.inflate(gzip.compress(b"x" * 65)) is None  # past the bound: a bomb is not read
    assert batches.inflate(gzip.compress(b"x" * 64)) == b"x" * 64
