"""Rotating the end-to-end test county (a copy of ``demo_run``'s zones): every token re-keyed, every link kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.ops.rotate import rotate_key, token_files
from pipelines.privacy.keys import PseudonymisationKey, load_key, read_zone_key, zone_key_ids
from pipelines.pseudonymisation import publish_period
from pipelines.settings import Zones

pytestmark = [pytest.mark.slow, pytest.mark.heavy]  # make test-heavy: several whole runs

NEW = PseudonymisationKey(b"rotated-key-for-the-test-county-only")


def _copy(demo_root: Path, root: Path) -> Zones:
    for part in ("pseudonymised", "identity", "landing/_accepted", "synth_truth"):
        shutil.copytree(demo_root / part, root / part)
    return Zones(root)


def _links(folder: Path) -> pd.DataFrame:
    """Per feed: records, records joined to a person, people, and the records per person (sorted) — no tokens."""
    with duckdb.connect() as con:
        con.execute(f"create view pk as select * from read_parquet('{folder}/person_keys/person_keys.parquet')")
        rows = []
        for feed_dir in sorted(
            p for p in folder.iterdir() if (p / "period=2024-01").exists() or any(p.glob("period=*"))
        ):
            feed = feed_dir.name
            con.execute(
                f"create or replace view r as select record_key from read_parquet('{feed_dir}/period=*/data.parquet', "
                "union_by_name=true)"
            )
            records, joined, people = con.execute(
                "select count(*), count(pk.person_key), count(distinct pk.person_key) from r "
                f"left join pk on pk.record_key = r.record_key and pk.feed = '{feed}'"
            ).fetchone()
            sizes = con.execute(
                f"select list(n order by n) from (select count(*) n from r join pk on pk.record_key = r.record_key "
                f"and pk.feed = '{feed}' group by pk.person_key)"
            ).fetchone()[0]
            rows.append((feed, records, joined, people, tuple(sizes or ())))
        strict = con.execute("select count(distinct person_key_strict), count(distinct person_key_lenient) from pk")
        rows.append(("person_keys", *strict.fetchone(), 0, ()))
    return pd.DataFrame(rows, columns=["feed", "records", "joined", "people", "sizes"])


def test_rotating_the_test_county_keeps_every_link_and_leaves_no_old_key_id(demo_run, tmp_path: Path) -> None:
    zones = _copy(demo_run.data_dir, tmp_path / "data")
    old = load_key({})  # the demo key, as the demo run used
    specs = {spec.path: spec for spec in token_files(zones)}
    before = {path: pd.read_parquet(zones.pseudonymised / path) for path in specs}
    links_before = _links(zones.pseudonymised)
    result = rotate_key(zones, old, NEW)
    assert result.files == len(before) and result.tokens > 0
    assert set(zone_key_ids(zones.pseudonymised)) == {NEW.key_id} and read_zone_key(zones.pseudonymised).key_id == (
        NEW.key_id
    )
    for path in zones.pseudonymised.rglob("*"):  # no file holds the old key id any more
        if path.is_file():
            assert old.key_id.encode() not in path.read_bytes(), path
    mapping: dict[str, str] = {}
    for path, frame in before.items():
        after = pd.read_parquet(zones.pseudonymised / path)
        assert len(after) == len(frame) and list(after.columns) == list(frame.columns)
        assert set(after["key_id"]) <= {NEW.key_id} if "key_id" in after.columns else True
        for column in frame.columns:
            if column == "key_id":
                continue
            if column not in specs[path].domains:
                pd.testing.assert_series_equal(after[column], frame[column], obj=f"{path} {column}")
                continue
            pairs = pd.DataFrame({"old": frame[column], "new": after[column]}).dropna()
            assert not set(pairs["old"]) & set(pairs["new"])  # every token differs
            for o, n in zip(pairs["old"], pairs["new"], strict=True):  # one old token, one new token, everywhere
                assert mapping.setdefault(o, n) == n
    assert len(set(mapping.values())) == len(mapping)
    pd.testing.assert_frame_equal(_links(zones.pseudonymised), links_before)  # record -> person, people, strict/lenient

    spec_name = next(p.split("/")[0] for p in before if "/period=" in p)
    from pipelines.feeds import FEED_SPECS
    from pipelines.linkage.opt_out import OptOut
    from pipelines.privacy.keys import KeyMismatchError
    from pipelines.pseudonymisation import Reference

    with pytest.raises(KeyMismatchError):  # a second run with the old key is refused
        period = sorted(before)[0].split("period=")[1].split("/")[0]
        publish_period(FEED_SPECS[spec_name], zones, period, old, Reference({}, {}), OptOut.load(zones.identity))
