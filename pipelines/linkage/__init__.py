"""Cross-agency record linkage: the identity spine that gives every agency record a stable person id.

Plain Python, no Dagster: ``normalise`` cleans identifiers, ``model`` is the Splink (DuckDB) model, ``spine`` keeps
person ids stable across runs, ``quality`` measures linkage error, ``bench_data`` plants known duplicates. Everything
here handles identifiable values and runs only inside the identifiable zone (``data/identity/``).
"""

from __future__ import annotations

from pipelines.linkage.config import LinkageSettings

__all__ = ["LinkageSettings"]
