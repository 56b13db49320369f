import json

from pipelines.privacy import cli


def run_deid(tmp_path, lines, capsys, monkeypatch, deidentifier):
    # reuse the session's loaded model instead of loading spaCy again in the handler
    from pipelines.privacy import deid as deid_module

    monkeypatch.setattr(deid_module, "Deidentifier", lambda **_kw: deidentifier)
    source = tmp_path / "in.jsonl"
    target = tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    cli.register(sub)
    args = parser.parse_args(["deid", "--in", str(source), "--out", str(target), "--batch-size", "2"])
    code = args.func(args)
    out = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    return code, out, capsys.readouterr().err


def test_every_line_answered_in_order(tmp_path, capsys, monkeypatch, deidentifier):
    lines = [
        json.dumps({"id": "a", "text": "Spoke to sarah on 07700 900123."}),
        json.dumps({"id": "b", "text": "Nothing to hide here."}),
        json.dumps({"id": 3, "text": "Mr Kowalczyk, NHS 943 476 5919", "known": {"family_name": "Kowalczyk"}}),
    ]
    code, out, _err = run_deid(tmp_path, lines, capsys, monkeypatch, deidentifier)
    assert code == 0
    assert [o["id"] for o in out] == ["a", "b", 3]
    assert out[0]["text"] == "Spoke to [PERSON_1] on [PHONE_NUMBER_1]."
    assert out[1]["text"] == "Nothing to hide here."
    assert "Kowalczyk" not in out[2]["text"] and "5919" not in out[2]["text"]
    assert set(out[0]) == {"id", "text"}


def test_bad_lines_masked_reported_never_dropped(tmp_path, capsys, monkeypatch, deidentifier):
    lines = [
        "{not json at all, Sarah Connor 07700 900123",
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "n", "text": 42}),
        "",
        json.dumps({"id": "ok", "text": "Seen by PC Zorblatt."}),
        json.dumps(["a", "list"]),
    ]
    code, out, err = run_deid(tmp_path, lines, capsys, monkeypatch, deidentifier)
    assert code == 1
    assert len(out) == len(lines)
    assert [o["text"] for o in out] == ["[REDACTED]"] * 4 + ["Seen by PC [PERSON_1]."] + ["[REDACTED]"]
    assert out[1]["id"] == "no-text"
    assert "line 1" in err and 'id "no-text"' in err and "line 4" in err
    assert "Sarah" not in err and "900123" not in err and "Zorblatt" not in err


def test_failure_inside_deidentification_masks_only_that_line(tmp_path, capsys, monkeypatch, deidentifier):
    class Flaky:
        def deidentify(self, texts, known=None):
            if any("boom" in t for t in texts):
                raise RuntimeError("boom Sarah")
            return deidentifier.deidentify(texts, known)

    from pipelines.privacy import deid as deid_module

    monkeypatch.setattr(deid_module, "Deidentifier", lambda **_kw: Flaky())
    source = tmp_path / "in.jsonl"
    target = tmp_path / "out.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": "boom Sarah"}) + "\n" + json.dumps({"id": 2, "text": "call sarah"}) + "\n"
    )
    import argparse

    args = argparse.Namespace(input=source, output=target, batch_size=10, processes=1)
    assert cli._deid(args) == 1
    out = [json.loads(line) for line in target.read_text().splitlines()]
    assert out == [{"id": 1, "text": "[REDACTED]"}, {"id": 2, "text": "call [PERSON_1]"}]
    err = capsys.readouterr().err
    assert "line 1 id 1" in err and "RuntimeError" in err and "Sarah" not in err
