import os
import warnings

import dagster as dg

from sluice.platform.settings import SHARDS_ENV

daily = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")

# Past one machine's day, landing and validation split by device shard (`sluice/ingest/shards.py`):
# SLUICE_SHARDS=N (read when the definitions load) adds the (date, shard) partitioned shard asset.
SHARDS = int(os.environ.get(SHARDS_ENV) or 1)
day_shards = dg.MultiPartitionsDefinition({
    "date": daily,
    "shard": dg.StaticPartitionsDefinition([str(s) for s in range(SHARDS)]),
})
with warnings.catch_warnings():  # a beta API chosen deliberately: the shards of a day, by its date dimension
    warnings.simplefilter("ignore", dg.BetaWarning)
    BY_DATE = dg.MultiToSingleDimensionPartitionMapping(partition_dimension_name="date")

# Every step that writes the private zone (one DuckDB file: one writer at a time) is in this
# pool; the instance's dagster.yaml (`sluice/platform/settings.py`) limits pools to one slot.
PRIVATE_ZONE_POOL = "private_zone"

# A backfill runs one day per run, every asset alike (dbt's default would differ).
ONE_DAY_PER_RUN = dg.BackfillPolicy.multi_run(1)
