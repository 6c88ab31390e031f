import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")

# Every step that writes the private zone (one DuckDB file: one writer at a time) is in this
# pool; the instance's dagster.yaml (`sluice/settings.py`) limits pools to one slot.
PRIVATE_ZONE_POOL = "private_zone"

# A backfill runs one day per run, every asset alike (dbt's default would differ).
ONE_DAY_PER_RUN = dg.BackfillPolicy.multi_run(1)
