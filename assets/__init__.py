"""Dagster assets by zone: raw, private, training and analytics (dbt), publish.

Each asset is thin: it opens the zone, calls a plain function from `sluice/`, and
reports counts. The rules themselves live in `sluice/policy/`.
"""
