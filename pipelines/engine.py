"""Which engine builds the warehouse and links records: ``HFC_ENGINE=duckdb`` (the default) or ``spark`` (issue 22).

One setting for both: it names the dbt profile's output (``dbt_project/profiles.yml``: ``local`` or ``spark``) and
Splink's backend. Spark needs the optional ``spark`` extra (``uv sync --extra spark``; ``make test-spark`` installs
it into ``.venv-spark``). The Dagster definitions are to read it here, never from the environment themselves.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Engine:
    name: str
    dbt_target: str  # an output of dbt_project/profiles.yml
    splink_backend: str  # splink.backends.<name>
    needs: tuple[str, ...] = ()  # modules the engine imports, from the optional extra


ENGINES: dict[str, Engine] = {
    "duckdb": Engine("duckdb", dbt_target="local", splink_backend="duckdb"),
    "spark": Engine("spark", dbt_target="spark", splink_backend="spark", needs=("pyspark", "dbt.adapters.spark")),
}


def engine() -> Engine:
    """The engine ``HFC_ENGINE`` names; DuckDB when it is unset or blank. An unknown name is refused."""
    value = os.environ.get("HFC_ENGINE", "").strip().lower() or "duckdb"
    if value not in ENGINES:
        raise ValueError(f"HFC_ENGINE must be one of {', '.join(ENGINES)}")
    return ENGINES[value]


def missing_modules(chosen: Engine) -> list[str]:
    """The modules ``chosen`` needs that are not installed (a Spark engine in a venv without the extra)."""
    missing = []
    for name in chosen.needs:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # a parent package is missing
            found = False
        if not found:
            missing.append(name)
    return missing
