"""``hfc dashboard`` (the app in the foreground) and ``hfc bench dashboard``."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    dash = sub.add_parser(
        "dashboard",
        help="the commissioner dashboards on http://127.0.0.1:8501 (after make run): streamlit, headless, offline",
    )
    dash.add_argument("--port", type=int, help="port (default: HFC_DASHBOARD_PORT, or 8501)")
    dash.add_argument("--warehouse", type=Path, help="the published warehouse (default: HFC_WAREHOUSE_PATH)")
    dash.add_argument("--app", type=Path, help="the Streamlit app (default: dashboards/app.py)")
    dash.set_defaults(func=_dashboard)


def register_bench(sub: argparse._SubParsersAction) -> None:
    from pipelines.dashboard.bench import DEFAULT_RUNS

    bench = sub.add_parser(
        "dashboard", help="each dashboard page's time to the last chart drawn in chromium (target 2 s); benchmarks.md"
    )
    bench.add_argument("--warehouse", type=Path, help="the published warehouse (default: HFC_WAREHOUSE_PATH)")
    bench.add_argument("--app", type=Path, help="the Streamlit app (default: dashboards/app.py)")
    bench.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"timed loads per page (default {DEFAULT_RUNS})")
    bench.add_argument("--screenshots", type=Path, help="also write each page's screenshot here (the README's)")
    bench.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    bench.set_defaults(func=_bench)


def _dashboard(args: argparse.Namespace) -> int:
    from pipelines.dashboard.server import DEFAULT_APP, default_port, serve_foreground
    from pipelines.settings import warehouse_path

    port = args.port if args.port is not None else default_port()
    return serve_foreground((args.app or DEFAULT_APP).resolve(), (args.warehouse or warehouse_path()).resolve(), port)


def _bench(args: argparse.Namespace) -> int:
    from pipelines.dashboard.bench import main

    return main(args)
