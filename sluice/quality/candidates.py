"""The candidates: every table a day can promote out of the private zone.

One list, read from the dbt project itself: each model under `dbt_project/models/training/` is a
training table, each under `models/analytics/` an analytics table. A new model there is a candidate
the moment its file exists, so it is published by `publish_day`, gated by the checks made for every
candidate (leak scan, expectations, k-anonymity for analytics), and upstream of the publish step;
nobody has to remember to add it anywhere.
"""

from __future__ import annotations

from pathlib import Path

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
ZONES = ("training", "analytics")


def find_candidates(project_dir: Path = DBT_PROJECT_DIR) -> tuple[tuple[str, str], ...]:
    """(zone, table) of every model in the training and analytics folders, in a stable order."""
    return tuple((zone, model.stem) for zone in ZONES for model in sorted((project_dir / "models" / zone).glob("*.sql")))


CANDIDATES = find_candidates()
TRAINING_TABLES = tuple(table for zone, table in CANDIDATES if zone == "training")
ANALYTICS_TABLES = tuple(table for zone, table in CANDIDATES if zone == "analytics")
