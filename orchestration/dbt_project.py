"""The dbt project as Dagster sees it (its own module, for `dagster-dbt project prepare-and-package`)."""

from dagster_dbt import DbtProject

from sluice.candidates import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
