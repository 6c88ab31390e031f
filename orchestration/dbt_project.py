"""The dbt project as Dagster sees it (its own module, for `dagster-dbt project prepare-and-package`).

Its manifest is built by `make setup` (`prepare-and-package`), not at import: loading the code location writes
nothing. After editing a model, `make setup` parses the project again.
"""

from dagster_dbt import DbtProject

from sluice.quality.candidates import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
