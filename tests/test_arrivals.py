"""The sensor's bookkeeping as plain functions: cursor, days fed by a folder, content keys."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sluice.ingest.arrivals import KEPT_DAYS, ArrivalCursor, content_key, days_fed, folder_day

T = datetime(2026, 11, 3, 1, 2, 3, tzinfo=timezone.utc)


def _obj(key: str, at: datetime = T) -> dict:
    return {"Key": key, "LastModified": at, "ETag": '"e"'}


def test_objects_in_the_same_second_as_the_cursor_are_seen_once():
    cursor = ArrivalCursor()
    cursor.advance([_obj("a"), _obj("b")])
    assert cursor.since() < T
    assert cursor.unseen([_obj("a"), _obj("b"), _obj("c")]) == [_obj("c")]  # c landed in the same second, later
    cursor.advance([_obj("c")])
    assert cursor.at_last == ["a", "b", "c"]
    restored = ArrivalCursor.load(cursor.dump())
    assert restored.unseen([_obj("a"), _obj("c")]) == [] and restored.last_modified == T
    later = T.replace(second=9)
    restored.advance([_obj("d", later)])
    assert restored.at_last == ["d"] and restored.last_modified == later


def test_the_cursor_keeps_a_bounded_memory_of_days():
    cursor = ArrivalCursor(days={date(2026, 1, 1).replace(day=1 + i % 28, month=1 + i // 28).isoformat(): "k" for i in range(300)})
    assert len(ArrivalCursor.load(cursor.dump()).days) == KEPT_DAYS


def test_folder_days_and_the_days_they_feed():
    assert folder_day("date=2026-11-02/device=d1/b1.jsonl.gz") == date(2026, 11, 2)
    for not_a_batch in ("README.txt", "date=2026-11-02/device=d1/b1.json", "date=nope/device=d1/b1.jsonl.gz",
                        "date=2026-11-02/b1.jsonl.gz", "date=2026-11-02/device=d1/x/b1.jsonl.gz"):
        assert folder_day(not_a_batch) is None
    assert days_fed(date(2026, 11, 2), False) == [date(2026, 11, 2)]
    assert days_fed(date(2026, 11, 2), True) == [date(2026, 11, 2), date(2026, 11, 3)]


def test_content_keys_change_with_content_not_with_listing_order():
    day = date(2026, 11, 2)
    batches = [("date=2026-11-02/device=a/1.jsonl.gz", '"x"'), ("date=2026-11-02/device=b/2.jsonl.gz", '"y"')]
    assert content_key(day, batches) == content_key(day, batches[::-1])
    assert content_key(day, batches) != content_key(day, [batches[0], (batches[1][0], '"z"')])  # re-sent with other bytes
    assert content_key(day, batches) != content_key(day, batches[:1])
    assert content_key(day, batches).startswith("2026-11-02:")
