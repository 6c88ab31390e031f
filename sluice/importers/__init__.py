"""Importers: recordings of other open recorders (OpenAdapt, DuckTrack) -> capture format v1 batches.

`keys` maps pynput key names and tracks modifiers, `mapping` turns recorder actions into events,
`batches` writes them; `openadapt` and `ducktrack` read the recordings; `command` is the CLI.
No Dagster here: an import only writes batches into a raw root, which `sluice run` then reads.
"""

from sluice.importers.ducktrack import import_ducktrack
from sluice.importers.openadapt import import_openadapt

__all__ = ["import_ducktrack", "import_openadapt"]
