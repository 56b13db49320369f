"""The Overview page at /overview: Streamlit serves the default page at / only, and one script cannot be registered
as two pages, so this hidden page runs the Overview script."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("overview.py")), run_name="__main__")
