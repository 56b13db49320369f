"""The code location loads, and its asset graph is what review last saw.

If this fails after an intended change to the graph, regenerate the snapshot with
``HFC_UPDATE_SNAPSHOTS=1 make test`` and review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_keys.txt"


def _asset_lines(defs: dg.Definitions) -> list[str]:
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        upstream = ",".join(sorted(k.to_user_string() for k in node.parent_keys))
        lines.append(f"{key.to_user_string()} <- {upstream}")
    return lines


def test_definitions_load_and_match_the_snapshot() -> None:
    from pipelines.definitions import defs

    lines = _asset_lines(defs)
    if os.environ.get("HFC_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text("\n".join(lines) + "\n")
    assert lines == SNAPSHOT.read_text().splitlines()


def test_pseudonymised_assets_are_the_dbt_sources() -> None:
    """Lineage joins without a translator: pseudonymised/<feed> is both a Python asset and a dbt source."""
    from pipelines.definitions import defs
    from pipelines.feeds import FEED_SPECS

    graph = defs.resolve_asset_graph()
    for feed in FEED_SPECS:
        key = dg.AssetKey(["pseudonymised", feed])
        assert graph.get(key).is_materializable
        children = {k.to_user_string() for k in graph.get(key).child_keys}
        assert any(c.startswith(f"staging/stg_{feed}__") for c in children), feed


def test_the_code_location_loads_as_dagster_dev_loads_it() -> None:
    """`make ui` loads the module by name; it refuses more than one Definitions at module scope."""
    import importlib

    from dagster._core.definitions.module_loaders.load_defs_from_module import load_definitions_from_module

    module = importlib.import_module("pipelines.definitions")
    scoped = [name for name, value in vars(module).items() if isinstance(value, dg.Definitions)]
    assert scoped == ["defs"]
    assert load_definitions_from_module(module) is not None


def test_every_job_resolves() -> None:
    """A job whose selection mixes partition sets fails only when resolved (the UI, a schedule): resolve them all."""
    from pipelines.definitions import defs

    jobs = defs.get_repository_def().get_all_jobs()
    assert {job.name for job in jobs} >= {"daily_refresh"}
