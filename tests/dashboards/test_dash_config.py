"""Streamlit's settings for the dashboards: no usage statistics, headless, a reader's toolbar, no export but the
app's own downloads, NHS colours, no web font; and no ``pages/`` folder beside the entry script."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dashboards import theme

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_config() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["headless"] is True
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["disableDataExport"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["theme"]["primaryColor"] == theme.NHS_BLUE
    assert config["theme"]["textColor"] == theme.NHS_BLACK
    assert "://" not in config["theme"]["font"]  # a font URL would be fetched from outside


def test_no_pages_folder_beside_the_entry_script() -> None:
    """A ``pages/`` folder puts Streamlit in its old multipage mode, which runs a page opened by its address without
    ``app.py`` (no filters, no import path): the page scripts live in ``views/``."""
    assert not (ROOT / "dashboards" / "pages").exists()
    assert (ROOT / "dashboards" / "views").is_dir()
