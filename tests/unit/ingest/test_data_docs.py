"""Data Docs leak nothing: identifiers planted in a failing delivery appear in no file of the built site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipelines.ingest import expectations as ex
from pipelines.ingest.data_docs import build_data_docs, default_docs_dir
from tests.unit.ingest.test_expectations import CANARY_TEXTS, NOW, POLICE, _accepted, _canary_batch


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("HFC_DATA_DIR", str(root))
    return root


def _site_text(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_built_docs_contain_no_planted_identifier(data_dir: Path, tmp_path: Path) -> None:
    summary = ex.validate_delivery(POLICE, _canary_batch(tmp_path), [40, 40, 40], now=NOW)
    assert not summary.blocking_success

    index = build_data_docs([summary, summary.gx_result])  # a summary, and a GX result straight from one
    out = data_dir / "reports" / "data_docs"
    assert index == out / "index.html" and index.exists()

    files = _site_text(out)
    pages = [p for p in files if p.suffix == ".html" and "validations" in p.parts]
    assert pages, "no validation page was rendered"
    assert any(p.suffix == ".json" for p in files), "the GX store beside the site was not written"
    for path, data in files.items():
        for canary in CANARY_TEXTS:
            for encoded in {canary.encode("utf-8"), canary.encode("utf-16-le"), canary.replace(" ", "&nbsp;").encode()}:
                assert encoded not in data, f"planted identifier in {path.relative_to(out)}"

    # The docs do show what failed, by rule and count.
    page = files[pages[0]].decode("utf-8")
    assert "identifies one record" in page and "Failed" in page
    assert re.search(r"2 unexpected values found\.\s*5% of 40 total rows", re.sub(r"<[^>]+>", " ", page))


def test_docs_accumulate_runs_and_render_the_suite(data_dir: Path, tmp_path: Path) -> None:
    first = ex.validate_delivery(POLICE, _accepted(POLICE, tmp_path / "a", n=10), now=NOW)
    second_frame = _accepted(POLICE, tmp_path / "b", n=12).assign(_period="2024-02")
    second = ex.validate_delivery(POLICE, second_frame, [10], now=NOW)
    out = tmp_path / "reports" / "docs"

    build_data_docs([first], out)
    index = build_data_docs([second], out)

    text = index.read_text(encoding="utf-8")
    assert "police_incidents_2024-01" in text and "police_incidents_2024-02" in text
    suite_page = out / "expectations" / "police_incidents.html"
    assert suite_page.exists() and "passes the NHS number modulus-11 check digit" in suite_page.read_text()


def test_docs_are_refused_inside_an_identifiable_zone(data_dir: Path, tmp_path: Path) -> None:
    summary = ex.validate_delivery(POLICE, _accepted(POLICE, tmp_path, n=3), now=NOW)
    for zone in ("landing", "quarantine", "identity"):
        target = data_dir / zone / "docs"
        with pytest.raises(ValueError, match="identifiable zone"):
            build_data_docs([summary], target)
        assert not target.exists()


def test_default_folder_is_in_the_reports_zone(data_dir: Path) -> None:
    assert default_docs_dir() == data_dir / "reports" / "data_docs"


def test_docs_make_no_request_to_the_internet_when_opened(data_dir: Path, tmp_path: Path) -> None:
    summary = ex.validate_delivery(POLICE, _accepted(POLICE, tmp_path / "a", n=10), now=NOW)
    out = tmp_path / "reports" / "docs"
    build_data_docs([summary], out)
    pages = list(out.rglob("*.html"))
    assert len(pages) >= 2
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=[\"']https?://", html, re.IGNORECASE), page.name
        assert "Content-Security-Policy" in html
