"""The spine's input: every feed's accepted rows concatenated with the dtypes pandas 2 gives, without its warning
that pandas 3 will choose them otherwise (all-None columns of feeds without an identity field, empty periods)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from pipelines.defs.linkage.assets import accepted_person_records, concat_typed
from pipelines.feeds import FEED_SPECS
from pipelines.ingest.load import load_period
from pipelines.linkage.inputs import canonical_records
from pipelines.settings import Zones
from tests.feed_rows import rows, write_delivery


def _as_pandas_2_did(frames: list[pd.DataFrame]) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat(frames, ignore_index=True)


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert dict(got.dtypes) == dict(want.dtypes)
    pd.testing.assert_frame_equal(got, want)
    assert got.isna().equals(want.isna())


def _frames() -> list[pd.DataFrame]:
    frames = []
    for spec in FEED_SPECS.values():
        native = pd.DataFrame(rows(spec, 3), columns=spec.column_names).astype("string")
        frames.append(canonical_records(native, spec))
        frames.append(canonical_records(native.iloc[:0], spec))  # a period with no accepted rows
    return frames


def test_every_feeds_records_concatenate_as_before_without_the_warning() -> None:
    frames = _frames()
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        got = concat_typed(frames)
    _same(got, _as_pandas_2_did(frames))
    assert str(got["email"].dtype) == "string"  # all-None in the feeds without e-mail: not what decides


@pytest.mark.parametrize(
    "frames",
    [
        [pd.DataFrame({"a": pd.Series(["x"], dtype="string")}), pd.DataFrame({"a": [None]})],
        [pd.DataFrame({"a": [None]}), pd.DataFrame({"a": [None], "b": ["y"]})],  # nothing anywhere in "a"
        [pd.DataFrame({"a": pd.Series(["x"], dtype="string")}), pd.DataFrame({"a": ["y"]})],  # two dtypes: object
        [pd.DataFrame({"a": pd.Series([], dtype=object)}), pd.DataFrame({"a": pd.Series(["x"], dtype="string")})],
        [pd.DataFrame({"a": ["x"]}), pd.DataFrame({"b": pd.Series(["y"], dtype="string")})],  # a column missing
    ],
    ids=["all-none", "none-anywhere", "two-dtypes", "empty", "missing-column"],
)
def test_the_cases_pandas_warns_about(frames: list[pd.DataFrame]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        got = concat_typed(frames)
    _same(got, _as_pandas_2_did(frames))


def test_the_spines_input_raises_no_future_warning(tmp_path: Path) -> None:
    zones = Zones(tmp_path)
    for name in ("police_incidents", "feedback"):  # feedback has no NHS number, police no e-mail
        spec = FEED_SPECS[name]
        write_delivery(spec, zones.landing / spec.name, n=4)
        assert load_period(spec, "2024-01", zones, validate=False).status == "loaded"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        records = accepted_person_records(zones)
    assert len(records) == 8 and set(records["source"]) == {"police_incidents", "feedback"}
