"""The gates: plain functions that judge a day in counts, the leak scan, Great Expectations suites, the candidate
tables, the publisher's clearance."""
