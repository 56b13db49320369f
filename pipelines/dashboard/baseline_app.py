"""The bench's baseline: a bare Streamlit page with one Vega-Lite chart (SVG) and the page-complete marker.

Timed beside the dashboards in the same run, it says how much of a page's time is Streamlit and the browser on this
(shared) machine rather than the app.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

frame = pd.DataFrame({"month": [f"2025-{m:02d}" for m in range(1, 13)], "contacts": [100 + 10 * m for m in range(12)]})
st.title("Baseline")
st.html('<p class="hfc-alt">Contacts by month: a line rising from 100 to 210.</p>')
st.altair_chart(
    alt.Chart(frame)
    .mark_line(point=True)
    .encode(x="month:O", y="contacts:Q")
    .properties(usermeta={"embedOptions": {"renderer": "svg"}}),
    width="stretch",
)
st.html('<div id="hfc-page-complete" data-charts="1"></div>')
