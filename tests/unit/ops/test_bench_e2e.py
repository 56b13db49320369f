"""``hfc bench e2e``'s stage accounting, on made-up event records (no pipeline runs here)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines.ops import bench_e2e as b


def _runs() -> list[b.Run]:
    """A run of the pipeline's shape: two feeds (the second blocked once, then retried), linkage, dbt, release."""
    return [
        b.Run(
            "r1",
            100.0,
            121.0,
            True,
            [
                b.Step("raw__police_incidents", 100.5, 110.0),
                b.Step("pseudonymised__police_incidents", 110.0, 120.0, metadata={"deid_seconds": 6.0}),
            ],
            ("2024-01", "2024-03"),
        ),
        b.Run(
            "r2", 122.0, 130.0, False, [b.Step("raw__ed_attendances", 122.0, 129.0, ok=False)], ("2024-01", "2024-03")
        ),
        b.Run(
            "r3",
            131.0,
            136.0,
            True,
            [b.Step("raw__ed_attendances", 131.0, 133.0), b.Step("pseudonymised__ed_attendances", 133.0, 135.0)],
            ("2024-01", "2024-01"),
        ),
        b.Run(
            "r4",
            137.0,
            160.0,
            True,
            [
                b.Step("identity__spine", 137.0, 150.0),
                b.Step("identity__opt_out", 150.0, 152.0),
                b.Step("pseudonymised__person_keys", 152.0, 154.0),
                b.Step("synth_truth_labels", 154.0, 159.0),
            ],
        ),
        b.Run("r5", 161.0, 165.0, True, [b.Step("drift__police_incidents", 161.0, 164.0)], ("2024-01", "2024-03")),
        b.Run("r6", 166.0, 200.0, True, [b.Step("warehouse_dbt_assets", 166.0, 199.0, last_output=190.0)]),
        b.Run("r7", 201.0, 205.0, True, [b.Step("release__dashboards", 201.0, 204.0)]),
    ]


def test_every_second_of_the_run_is_charged_to_one_stage() -> None:
    table = b.account(_runs(), process=(90.0, 230.0), leak_scan=(210.0, 225.0))
    s = table.seconds
    assert s[b.STARTUP] == pytest.approx(10.0)
    assert s[b.INGEST] == pytest.approx(9.5 + 7.0)  # the failed range run's gate counts as ingest
    assert s[b.DEID] == pytest.approx(6.0)
    assert s[b.PSEUDO] == pytest.approx(4.0)
    assert s[b.RETRY] == pytest.approx(4.0)  # the single-delivery run after the feed's range run failed
    assert s[b.LINKAGE] == pytest.approx(22.0)
    assert s[b.DRIFT] == pytest.approx(3.0)
    assert s[b.DBT] == pytest.approx(24.0)  # up to dbt's last streamed result
    assert s[b.PROTECT] == pytest.approx(9.0)
    assert s[b.RELEASE] == pytest.approx(3.0)
    assert s[b.LEAK] == pytest.approx(15.0)
    assert s[b.REPORTS] == pytest.approx(25.0 - 15.0)
    in_steps = 9.5 + 10 + 7 + 4 + 22 + 3 + 33 + 3
    assert s[b.OVERHEAD] == pytest.approx((205.0 - 100.0) - in_steps)
    assert sum(s.values()) == pytest.approx(230.0 - 90.0)
    assert table.retried_feeds == ["ed_attendances"]
    assert table.runs == 7


def test_de_identification_never_exceeds_its_step() -> None:
    run = b.Run("r", 0.0, 5.0, True, [b.Step("pseudonymised__feedback", 0.0, 4.0, metadata={"deid_seconds": 9.0})])
    s = b.account([run]).seconds
    assert s[b.DEID] == pytest.approx(4.0)
    assert s.get(b.PSEUDO, 0.0) == pytest.approx(0.0)


def test_memory_samples_go_to_the_stage_running_then() -> None:
    table = b.account(_runs(), process=(90.0, 230.0))
    samples = [(95.0, 1 << 20), (112.0, 5 << 20), (140.0, 9 << 20), (195.0, 3 << 20), (130.5, 99 << 20)]
    peaks = b.peak_by_stage(samples, table.intervals)
    assert peaks[b.STARTUP] == 1 << 20
    assert peaks[b.PSEUDO] == peaks[b.DEID] == 5 << 20
    assert peaks[b.LINKAGE] == 9 << 20
    assert peaks[b.PROTECT] == 3 << 20
    assert peaks[b.OVERHEAD] == 99 << 20  # between runs


def test_cpu_time_goes_to_the_stage_of_each_rise_and_a_new_process_counts_from_zero() -> None:
    table = b.account(_runs(), process=(90.0, 230.0))
    samples = [(95.0, 1.0, 7), (112.0, 4.0, 7), (140.0, 10.0, 7), (141.0, 9.0, 7), (142.0, 2.0, 8), (143.0, 3.0, 8)]
    spent = b.cpu_by_stage(samples, table.intervals)
    assert spent[b.STARTUP] == pytest.approx(1.0)
    assert spent[b.PSEUDO] == pytest.approx(3.0)
    assert spent[b.LINKAGE] == pytest.approx(6.0 + 2.0 + 1.0)  # a drop is skipped; the second tree from zero


def test_the_pseudonymisation_steps_cpu_is_shared_with_de_identification_by_wall_time() -> None:
    cpu = b.split_deid_cpu({b.PSEUDO: 10.0, b.INGEST: 2.0}, {b.DEID: 6.0, b.PSEUDO: 2.0})
    assert cpu == {b.DEID: pytest.approx(7.5), b.PSEUDO: pytest.approx(2.5), b.INGEST: 2.0}


def test_the_profile_of_a_stage_uses_only_its_samples(tmp_path: Path) -> None:
    stacks = {
        "every": 0.01,
        "frames": [["/x/site-packages/dagster/run.py", 1, "execute"], ["/r/pipelines/link.py", 5, "spine"]],
        "stacks": [[0], [0, 1]],
        "samples": [[101.0, 0], [139.0, 1], [140.0, 1], [141.0, 0]],
    }
    path = tmp_path / "stacks.json"
    path.write_text(json.dumps(stacks))
    profile = b.stage_profile(path, b.account(_runs()).intervals, b.LINKAGE)
    assert profile["samples"] == 3
    assert profile["cumulative"] == [{"function": "pipelines/link.py:5 spine", "share": 0.6667, "seconds": 0.02}]
    assert profile["own"][0]["function"] == "pipelines/link.py:5 spine"


def test_time_report_reads_usr_bin_time(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text(
        "hfc 19:55 something\n\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03.5\n"
        "\tMaximum resident set size (kbytes): 2048\n"
    )
    assert b.time_report(log) == (2048 * 1024, pytest.approx(3723.5))
    assert b.time_report(tmp_path / "absent.log") == (0, None)


def test_the_baseline_says_its_wall_and_cpu_time() -> None:
    wall, cpu = b.micro_workload()
    assert wall > 0 and 0 < cpu <= wall * 1.05 + 0.01
    assert b._clocks(1.5) == (1.5, 0.0) and b._clocks([2.0, 1.0]) == (2.0, 1.0)


def test_the_process_tree_of_this_test_has_memory() -> None:
    rss, count = b.tree_rss(os.getpid())
    assert count >= 1
    assert rss > 10 << 20


def test_the_section_renders_every_stage_and_the_total() -> None:
    table = b.account(_runs(), process=(90.0, 230.0))
    result = b.ScaleResult(
        people=300,
        months=3,
        seed=1,
        total_seconds=140.0,
        seconds=table.seconds,
        peak_rss={b.LINKAGE: 2 << 30},
        peak_rss_total=2 << 30,
        largest_process_rss=1 << 30,
        runs=table.runs,
        exit_code=0,
        baseline_before=1.0,
        baseline_after=1.1,
        load_before="1.0 1.0 1.0",
        load_after="1.0 1.0 1.0",
        cpu_seconds={b.LINKAGE: 5.0},
        baseline_cpu=(0.5, 0.5),
    )
    text = b.render_section([result], "hfc bench e2e --people 300", b.machine())
    assert "| linkage (spine, opt-out, person keys, truth labels) | 22.0 s | 16% | 5.0 s | 2.00 GB |" in text
    assert "**2 min 20.0 s**" in text
    assert "1.00 s before, 1.10 s after for 0.50 s and 0.50 s of CPU (wall over CPU: 2.0× and 2.2×)" in text


def test_runs_and_steps_are_read_from_a_real_dagster_event_log() -> None:
    """A stand-in pipeline of two partitioned assets named like the real ones, materialised into a fresh instance."""
    partitions = dg.StaticPartitionsDefinition(["2024-01", "2024-02"])

    @dg.asset(key=["raw", "feedback"], partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run())
    def raw_feedback() -> None:
        time.sleep(0.3)

    @dg.asset(
        key=["pseudonymised", "feedback"],
        partitions_def=partitions,
        deps=[raw_feedback],
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def pseudo_feedback() -> dg.MaterializeResult:
        time.sleep(0.2)
        return dg.MaterializeResult(metadata={"deid_seconds": dg.MetadataValue.float(0.1), "key_id": "k1"})

    with dg.DagsterInstance.ephemeral() as instance:
        tags = {"dagster/asset_partition_range_start": "2024-01", "dagster/asset_partition_range_end": "2024-02"}
        assert dg.materialize([raw_feedback, pseudo_feedback], instance=instance, tags=tags).success
        runs = b.runs_of(instance)
    assert len(runs) == 1 and runs[0].ok and runs[0].partition_range == ("2024-01", "2024-02")
    steps = {s.key: s for s in runs[0].steps}
    assert set(steps) == {"raw__feedback", "pseudonymised__feedback"}
    assert steps["raw__feedback"].end - steps["raw__feedback"].start >= 0.3
    # one result, repeated in the materialisation of each of the range's two partitions: counted once
    assert steps["pseudonymised__feedback"].metadata == {"deid_seconds": pytest.approx(0.1)}
    s = b.account(runs).seconds
    assert s[b.INGEST] >= 0.3 and s[b.DEID] == pytest.approx(0.1) and s[b.PSEUDO] >= 0.1


def test_the_child_runs_an_hfc_command_and_leaves_its_markers_and_stacks(tmp_path: Path) -> None:
    markers, stacks = tmp_path / "m.json", tmp_path / "s.json"
    argv = ["--child", "--markers", str(markers), "--stacks", str(stacks), "--", "synth", "--people", "40"]
    assert b.child_main([*argv, "--months", "1", "--out", str(tmp_path / "data")]) == 0
    process = json.loads(markers.read_text())[0]
    assert process["name"] == "process" and process["end"] > process["start"]
    sampled = json.loads(stacks.read_text())
    assert sampled["samples"] and sampled["frames"]
    assert all(isinstance(t, float) and isinstance(sid, int) for t, sid in sampled["samples"])
