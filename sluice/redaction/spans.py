"""Findings as (start, end, who) spans of a text."""

from __future__ import annotations


def leftmost_longest(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The spans that do not overlap, the leftmost first and, of those starting together, the longest."""
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if not any(span[0] < end and start < span[1] for start, end, _ in chosen):
            chosen.append(span)
    return chosen
