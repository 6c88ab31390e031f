"""Policy rule 5: PII and secrets in free text become typed, numbered placeholders.

`detectors.py` lists what is found (patterns, in priority order) and `validators.py`
how a candidate is confirmed (Luhn, mod-97, SSN ranges...); `people.py` turns the
directory into name variants; `engine.py` runs it all over a DuckDB table in bulk.
"""
