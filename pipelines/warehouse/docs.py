"""``hfc docs``: the dbt docs (the evaluators' data dictionary) as one static page that works offline.

dbt's static page carries the manifest and catalog inline, but its JavaScript can load a tracker from a CDN when
usage statistics are on (they are off in dbt_project.yml). As with the Data Docs, any tag that fetches from outside is
stripped and a Content-Security-Policy is pinned, so opening the page never makes the reader's browser call out.
The catalog is read from a copy of the full build, so a reader holding the published file open is never blocked;
it holds table and column names and types, never a value.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pipelines.offline_html import offline_html
from pipelines.settings import REPO_ROOT, restricted_warehouse_path, zones

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# dbt's page is an AngularJS app built from inline scripts and data: URLs
_SOURCES = "'self' 'unsafe-inline' 'unsafe-eval' data: blob:"


class DocsError(RuntimeError):
    """dbt could not build the docs."""


def default_docs_dir() -> Path:
    return zones().reports / "dbt_docs"


def make_offline(html: str) -> str:
    """Strip tags that fetch from outside and pin a Content-Security-Policy in the head."""
    return offline_html(html, _SOURCES)


def build_docs(out_dir: Path | None = None, warehouse: Path | None = None) -> Path:
    """Generate the static dbt docs into ``out_dir``/index.html and return its path."""
    out_dir = out_dir or default_docs_dir()
    source = warehouse or restricted_warehouse_path()
    if not source.exists():
        raise DocsError(f"no warehouse build at {source}: run `make run` first")
    dbt = Path(sys.executable).parent / "dbt"
    with tempfile.TemporaryDirectory(prefix="hfc-docs-") as tmp:
        copy = Path(tmp) / "catalog.duckdb"
        shutil.copy2(source, copy)
        target = Path(tmp) / "target"
        env = {
            **os.environ,
            "HFC_WAREHOUSE_BUILD_PATH": str(copy),
            "HFC_PSEUDONYMISED_DIR": os.environ.get("HFC_PSEUDONYMISED_DIR", str(zones().pseudonymised)),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        result = subprocess.run(
            [str(dbt), "--quiet", "docs", "generate", "--static", "--target-path", str(target)],
            cwd=DBT_PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        page = target / "static_index.html"
        if result.returncode != 0 or not page.exists():
            raise DocsError(f"dbt docs generate failed (exit {result.returncode}): {result.stdout[-2000:]}")
        out_dir.mkdir(parents=True, exist_ok=True)
        index = out_dir / "index.html"
        index.write_text(make_offline(page.read_text(encoding="utf-8")), encoding="utf-8")
    return index
