"""Great Expectations Data Docs for the ingest gate, built so that they cannot carry a value from a delivery.

Deliveries are identifiable; Data Docs go to the non-identifiable reports zone (``data/reports/data_docs/``) where
evaluators and commissioners' analysts may read them. GX renders sample failing values by default, so the docs are
built only from sanitised results (:func:`pipelines.ingest.expectations.sanitise_result`): expectation settings from
the specs, success, counts and percents. Every result is sanitised again here, whatever its source.

GX's own renderer is used, through a file data context whose stores live beside the site (``<out_dir>/_gx/``), so a
run adds its validation pages and the index lists every delivery validated so far. Only sanitised results ever enter
that store. The pages load Bootstrap and jQuery from public CDNs when opened in a browser (GX's templates); no data
goes with those requests, and the pages still read without them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.ingest.expectations import SOURCE_ROW, ValidationSummary, read_suite, sanitise_result
from pipelines.offline_html import offline_html
from pipelines.settings import zones

logger = logging.getLogger(__name__)

SITE_NAME = "hfc_ingest"
STORE_DIR = "_gx"
DEFAULT_DIR_NAME = "data_docs"

_CONTEXTS: dict[Path, Any] = {}
_LOCK = threading.Lock()


def default_docs_dir() -> Path:
    """``data/reports/data_docs``: the reports zone is the non-identifiable one."""
    return zones().reports / DEFAULT_DIR_NAME


def _refuse_identifiable(out_dir: Path) -> None:
    for zone in zones().identifiable():
        zone = zone.resolve()
        if out_dir == zone or zone in out_dir.parents:
            raise ValueError(f"data docs may not be written inside the identifiable zone {zone.name}/")


def _file_context(out_dir: Path) -> Any:
    """One GX file context per docs folder per process, with our site writing straight into ``out_dir``."""
    with _LOCK:
        context = _CONTEXTS.get(out_dir)
        if context is not None:
            return context
        import great_expectations as gx

        from pipelines.ingest.expectations import _gx

        _gx()  # registers the custom NHS number expectation, which the suites and results name
        context = gx.get_context(mode="file", project_root_dir=str(out_dir / STORE_DIR))
        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        sites = context.variables.data_docs_sites or {}
        for name in list(sites):
            if name != SITE_NAME:
                context.delete_data_docs_site(name)  # GX's default local_site would write a second copy
        if SITE_NAME in (context.variables.data_docs_sites or {}):
            context.update_data_docs_site(SITE_NAME, site)
        else:
            context.add_data_docs_site(SITE_NAME, site)
        _CONTEXTS[out_dir] = context
        return context


def _allowed_columns(feed: str) -> tuple[str, ...]:
    from pipelines.feeds import FEED_SPECS

    spec = FEED_SPECS.get(feed)
    return (*spec.column_names, SOURCE_ROW) if spec else ()


def make_offline(out_dir: Path) -> int:
    """Strip GX's CDN scripts and styles (jQuery, Bootstrap, Vega from public CDNs), its logo image (fetched from S3
    with the data context's id in the URL) and its outbound links, and pin a Content-Security-Policy, so opening the
    docs never makes a reader's browser call out. The pages stay readable as plain HTML; the
    interactive table filters and charts that needed those libraries are lost. Returns the pages changed."""
    changed = 0
    for page in out_dir.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        new = offline_html(html)  # links to GX's site lose their target
        if new != html:
            page.write_text(new, encoding="utf-8")
            changed += 1
    return changed


def build_data_docs(
    results: Iterable[ValidationSummary | Any],
    out_dir: Path | None = None,
    *,
    suites_folder: Path | None = None,
) -> Path:
    """Render validation results as GX Data Docs under ``out_dir`` (default the reports zone) and return index.html.

    ``results`` are :class:`ValidationSummary` objects from ``validate_delivery`` or GX suite validation results;
    either way only a sanitised copy is rendered. The feeds' committed suites (``suites_folder``, default
    ``expectations/``) are rendered as suite pages beside them. Refuses a folder inside an identifiable zone.
    """
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    out_dir = (out_dir or default_docs_dir()).resolve()
    _refuse_identifiable(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    context = _file_context(out_dir)

    keys: list[Any] = []
    suites_seen: dict[str, Any] = {}
    for item in results:
        if isinstance(item, ValidationSummary):
            if item.gx_result is None:
                raise ValueError(f"{item.feed}: summary carries no GX result to render")
            raw, feed, period, when = item.gx_result, item.feed, item.period, item.validated_at
        else:
            raw, feed, period, when = item, item.suite_name, None, datetime.now(UTC)
        clean = sanitise_result(raw, allowed_columns=_allowed_columns(feed))
        if feed not in suites_seen:
            suites_seen[feed] = None
            try:
                context.suites.add_or_update(read_suite(feed, suites_folder))
                suites_seen[feed] = ExpectationSuiteIdentifier(name=feed)
            except FileNotFoundError:
                logger.warning("%s: no committed suite to render beside its results", feed)
        run_time = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
        run_id = RunIdentifier(run_name=f"{feed}_{period or 'unknown_period'}", run_time=run_time)
        clean.meta["run_id"] = run_id
        clean.meta["validation_time"] = run_time
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=clean.suite_name),
            run_id=run_id,
            batch_identifier=period or "unknown_period",
        )
        context.validation_results_store.set(key, clean)
        keys.append(key)

    with _LOCK:
        # Incremental: this call's pages and suites, then the index over everything in the store.
        built = [*keys, *(k for k in suites_seen.values() if k is not None)]
        context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=built, build_index=True)
        make_offline(out_dir)
    index = out_dir / "index.html"
    logger.info("data docs: %d validation result(s) rendered to %s", len(keys), index)
    return index
