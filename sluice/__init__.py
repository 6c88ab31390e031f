"""Sluice: employee interaction telemetry to training data, behind privacy gates.

Plain modules (no Dagster import) hold every rule; `orchestration/` and `assets/`
wire them into Dagster.
"""
