"""Raw zone: the capture agents' batches, as they land (not materialized by Sluice)."""

import dagster as dg

from assets.zones import zone
from orchestration.partitions import daily

capture_batches = dg.AssetSpec(
    key=["raw", "capture_batches"],
    **zone("raw"),
    partitions_def=daily,
    kinds={"json", "s3"},
    description=(
        "Gzip JSON Lines batches from capture agents under `date=D/device=X/` in the raw root "
        "(`SLUICE_RAW`: a local folder or s3://). Contract: capture format v1. Read only by landing; "
        "erased per employee (rule 2) and purged after retention_days (rule 10)."
    ),
)
