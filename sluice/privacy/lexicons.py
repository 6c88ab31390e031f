"""Public-domain name statistics, read by the name finder (sluice/redaction/person_names.py) and by the second
layer (sluice/policy/residual_risk.py) each in its own way: the 1990 US Census lists of the `names` package."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def census() -> tuple[dict[str, float], dict[str, float]]:
    """Share of US people bearing each given name and each surname (1990 Census, lower case, letters only)."""
    def read(*resources: str) -> dict[str, float]:
        shares: dict[str, float] = {}
        for resource in resources:
            for line in files("names").joinpath(resource).read_text().splitlines():
                name, percent = line.split()[:2]
                shares[name.lower()] = shares.get(name.lower(), 0.0) + float(percent) / 100 / len(resources)
        return shares
    return read("dist.male.first", "dist.female.first"), read("dist.all.last")
