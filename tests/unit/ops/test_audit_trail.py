"""The audit trail's hash chain and head record: every kind of tampering is named by line, appends from several
processes at once keep one valid chain, and the command line exits non-zero on a broken trail."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from pipelines.ops import audit
from pipelines.ops.cli_audit import main as audit_main


def _trail(root: Path, n: int = 5) -> Path:
    for i in range(n):
        audit.record("ingest.delivery", root=root, feed="police_incidents", period=f"2024-0{i + 1}", rows_loaded=100)
    return audit.audit_path(root)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_an_untouched_trail_verifies_and_its_head_matches(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    result = audit.verify(path)
    assert result.ok, result.problems
    assert result.entries == 5
    head = audit.read_head(path)
    assert head == {"entries": 5, "hash": result.last_hash}
    assert audit.verify(path, expect_head=result.anchor).ok


def test_an_edited_line_is_named(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    lines = _lines(path)
    entry = json.loads(lines[2])
    entry["rows_loaded"] = 99
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    result = audit.verify(path)
    assert not result.ok
    assert result.problems[0].startswith("line 3:") and "edited" in result.problems[0]


def test_a_deleted_middle_line_is_named(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    lines = _lines(path)
    path.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")
    result = audit.verify(path)
    assert result.problems[0].startswith("line 2:") and "removed" in result.problems[0]


def test_a_deleted_last_line_is_caught_by_the_head(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    path.write_text("".join(_lines(path)[:-1]), encoding="utf-8")
    result = audit.verify(path)
    assert not result.ok
    assert "head record says 5" in result.problems[0]
    assert audit.verify(path, use_head=False).ok  # the chain alone cannot see it


def test_a_deleted_last_line_and_a_rewritten_head_are_caught_only_by_an_anchor(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    anchor = audit.verify(path).anchor
    path.write_text("".join(_lines(path)[:-1]), encoding="utf-8")
    cut = audit.verify(path, use_head=False)
    audit.head_path(path).write_text(json.dumps({"entries": cut.entries, "hash": cut.last_hash}), encoding="utf-8")
    assert audit.verify(path).ok  # both files rewritten: nothing inside the data directory can tell
    result = audit.verify(path, expect_head=anchor)
    assert not result.ok and "not in the trail" in result.problems[0]


def test_an_anchor_from_earlier_still_verifies_after_later_appends(tmp_path: Path) -> None:
    path = _trail(tmp_path, 3)
    anchor = audit.verify(path).anchor
    _trail(tmp_path, 2)
    assert audit.verify(path, expect_head=anchor).ok
    assert not audit.verify(path, expect_head=anchor.replace("3:", "2:", 1)).ok


def test_a_reordered_pair_is_named(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_text("".join(lines), encoding="utf-8")
    assert audit.verify(path).problems[0].startswith("line 2:")


def test_an_inserted_line_is_named(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    lines = _lines(path)
    forged = json.loads(lines[1])
    forged["period"] = "2024-09"
    forged["hash"] = audit._digest(forged)  # a well-formed entry, chained to line 1, slipped in after line 2
    lines.insert(2, json.dumps(forged, sort_keys=True, separators=(",", ":")) + "\n")
    path.write_text("".join(lines), encoding="utf-8")
    assert audit.verify(path).problems[0].startswith("line 3:")


def test_a_torn_last_line_stops_appends_with_a_clear_error(tmp_path: Path) -> None:
    path = _trail(tmp_path, 2)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"action":"ingest.deliv')
    assert "incomplete" in audit.verify(path).problems[0]
    with pytest.raises(audit.AuditError, match="incomplete"):
        audit.record("purge", root=tmp_path)


def test_fields_must_be_plain_values(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        audit.record("purge", root=tmp_path, periods=["2024-01"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        audit.record("purge", root=tmp_path, hash="x")


def _append(root: str, worker: int, n: int) -> None:
    for i in range(n):
        audit.record("test.concurrent", root=Path(root), worker=worker, i=i)


def test_concurrent_appends_from_several_processes_keep_one_chain(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_append, args=(str(tmp_path), w, 25)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(30)
        assert p.exitcode == 0
    result = audit.verify(audit.audit_path(tmp_path))
    assert result.ok, result.problems
    assert result.entries == 100
    seen = {(e["worker"], e["i"]) for e in audit.entries(audit.audit_path(tmp_path))}
    assert len(seen) == 100


def test_the_command_line_exits_non_zero_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _trail(tmp_path)
    assert audit_main(["verify", "--path", str(path)]) == 0
    assert "5 entries" in capsys.readouterr().out
    assert audit_main(["head", "--path", str(path)]) == 0
    anchor = capsys.readouterr().out.strip().splitlines()[-1]
    assert audit_main(["verify", "--path", str(path), "--expect-head", anchor]) == 0
    lines = _lines(path)
    path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    assert audit_main(["verify", "--path", str(path)]) == 1
    assert "line 3:" in capsys.readouterr().err
    assert audit_main(["show", "--path", str(path), "--tail", "2"]) == 0
    shown = capsys.readouterr().out
    assert "ingest.delivery" in shown and "2024-05" in shown and "2024-01" not in shown
