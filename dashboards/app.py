"""Entry point: ``streamlit run dashboards/app.py`` (``hfc dashboard`` runs it on 127.0.0.1).

The page scripts live in ``dashboards/views/``, not ``pages/``: a ``pages/`` folder beside the entry script switches
Streamlit into its older multipage mode, which runs a page requested by its address without this script (no
sys.path set-up, no sidebar filters).

Six pages, each at a fixed address (the browser test and links rely on them): Overview (``/`` and ``/overview``),
Outcomes, People and equality, Voices, Evaluation, Data quality. The sidebar filters are drawn here, before the
page, so they keep their values from page to page and stay in the address bar.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboards/ on the path, not the repository
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards import filters, theme  # noqa: E402

PAGES: tuple[tuple[str, str, str], ...] = (
    ("views/overview.py", "Overview", "overview"),
    ("views/outcomes.py", "Outcomes", "outcomes"),
    ("views/equality.py", "People and equality", "equality"),
    ("views/voices.py", "Voices", "voices"),
    ("views/evaluation.py", "Evaluation", "evaluation"),
    ("views/data_quality.py", "Data quality", "data-quality"),
)

st.set_page_config(
    page_title="Crisis services: outcomes for commissioners",
    layout="wide",
    initial_sidebar_state="expanded",
)
here = Path(__file__).resolve().parent
# Streamlit serves the default page at / only (its url_path must still be unique, so it gets one nobody uses); a
# hidden page running the same script answers /overview
pages = [st.Page(str(here / PAGES[0][0]), title=PAGES[0][1], url_path="home", default=True)]
pages += [st.Page(str(here / path), title=title, url_path=url) for path, title, url in PAGES[1:]]
pages.append(
    st.Page(str(here / "views/overview_address.py"), title="Overview", url_path="overview", visibility="hidden")
)
navigation = st.navigation(pages)
st.html(theme.CSS)
filters.sidebar()
navigation.run()
