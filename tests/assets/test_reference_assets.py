"""pseudonymised/programme_rollout through Dagster: the reference file copied as parquet, or an empty table."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from pipelines.defs.pseudonymise.assets import pseudonymised_programme_rollout, rollout_path
from pipelines.defs.resources import ZonesResource
from pipelines.settings import Zones


def _run(tmp_path: Path) -> tuple[dg.ExecuteInProcessResult, pd.DataFrame]:
    result = dg.materialize(
        [pseudonymised_programme_rollout], resources={"zones": ZonesResource(data_dir=str(tmp_path))}
    )
    return result, pd.read_parquet(rollout_path(Zones(tmp_path)))


def test_an_undelivered_rollout_is_published_as_an_empty_typed_table(tmp_path: Path) -> None:
    result, frame = _run(tmp_path)
    assert result.success and frame.empty
    assert list(frame.columns) == ["locality_code", "intervention", "go_live_date"]
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["delivered"].value is False and metadata["rows"].value == 0


def test_the_rollout_is_copied_with_its_dates(tmp_path: Path) -> None:
    folder = Zones(tmp_path).reference
    folder.mkdir(parents=True)
    (folder / "programme_rollout.csv").write_text(
        "locality_code,intervention,go_live_date\nLOC_A,high_intensity_team,2024-05-01\nLOC_B,high_intensity_team,\n"
    )
    result, frame = _run(tmp_path)
    assert result.success
    assert frame["locality_code"].tolist() == ["LOC_A", "LOC_B"]
    assert frame["go_live_date"].iloc[0] == pd.Timestamp("2024-05-01") and pd.isna(frame["go_live_date"].iloc[1])
