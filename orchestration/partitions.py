import dagster as dg

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
