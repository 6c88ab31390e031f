"""The jobs: the daily one (every zone of one day, in one process: one writer per DuckDB file), erasure on
demand, retention, and the device shards of a day when scaled out."""

import dagster as dg

ZONES = dg.AssetSelection.groups("private", "training", "analytics", "publish") | dg.AssetSelection.assets(["lifecycle", "erasure"])

daily_publish = dg.define_asset_job(
    "daily_publish",
    selection=ZONES,
    executor_def=dg.in_process_executor,
    description="Land, validate, transform, build and gate one day; publish it only if every gate passed.",
)

day_shards = dg.define_asset_job(
    "day_shards",
    selection=dg.AssetSelection.groups("shards"),
    executor_def=dg.in_process_executor,  # one shard per run; shards of a day run side by side as separate runs
    description="Land and validate one device shard of a day (SLUICE_SHARDS > 1); the day's run merges them.",
)

erase_now = dg.define_asset_job(
    "erase_now",
    selection=dg.AssetSelection.assets(["lifecycle", "erasure"]),
    executor_def=dg.in_process_executor,
    description=(
        "Erase now, without waiting for the next daily run: employees with withdrawn consent or a request in "
        "SLUICE_ERASURES leave raw, private, training and exports; erasure_rebuild_sensor then runs each day they "
        "were in, so its models and publication are rebuilt without them (rule 2). Pick any partition: the erasure "
        "covers every day."
    ),
)

retention = dg.define_asset_job(
    "retention",
    selection=dg.AssetSelection.assets(["lifecycle", "retention_purge"]),
    executor_def=dg.in_process_executor,
    description="Purge raw batches, private-zone rows and run logs past the manifest's retention (rule 10).",
)
