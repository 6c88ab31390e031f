"""The `sluice` command: above the library (`sluice/`) and the Dagster code (`orchestration/`, `assets/`,
`definitions.py`), which never import it."""
