"""Colours: the NHS identity palette for the page, a colour-blind-safe palette for categories in charts.

NHS colours are from NHS England's identity guidelines, "Colours"
(https://www.england.nhs.uk/nhsidentity/identity-guidelines/colours/): NHS Blue is the primary colour, with the
blues, neutrals and support colours below. Text is NHS Black on white, the combination the guidelines put first for
legibility. The same values are in ``.streamlit/config.toml`` (Streamlit's theme), which cannot import Python.

Categories in charts (agencies, themes, methods) use the Okabe–Ito palette: Masataka Okabe and Kei Ito, "Color
Universal Design (CUD): how to make figures and presentations that are friendly to colorblind people" (2008,
https://jfly.uni-koeln.de/color/), eight colours distinguishable under the common forms of colour blindness. Its
yellow is last, because it is the weakest against white; no chart here needs more than eight colours at once
(small multiples are used instead), and every chart has a data table beside it, so colour never carries meaning alone.
"""

from __future__ import annotations

# NHS identity guidelines, colours (hex values as published there)
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_BRIGHT_BLUE = "#0072CE"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_BLACK = "#231F20"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#E8EDEE"
NHS_WHITE = "#FFFFFF"
NHS_WARM_YELLOW = "#FFB81C"
NHS_DARK_RED = "#8A1538"
NHS_DARK_GREEN = "#006747"

# Okabe & Ito (2008): black, orange, sky blue, bluish green, blue, vermillion, reddish purple, yellow
OKABE_ITO: tuple[str, ...] = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#F0E442",
)
# the same palette without black, for marks drawn beside black text
CATEGORICAL: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")

# status colours for flags (drift, reconciliation), always paired with a word in the chart and the table
STATUS = {"ok": "#009E73", "warn": "#E69F00", "block": "#D55E00"}

CSS = f"""
<style>
.hfc-alt {{ color: {NHS_DARK_GREY}; font-size: 0.95rem; margin: 0.25rem 0 0.5rem 0; }}
.hfc-intro {{ font-size: 1.05rem; color: {NHS_BLACK}; max-width: 60rem; }}
.hfc-table-wrap {{ max-height: 26rem; overflow: auto; margin: 0.5rem 0; border: 1px solid {NHS_PALE_GREY}; }}
.hfc-table-wrap:focus {{ outline: 3px solid {NHS_WARM_YELLOW}; }}
table.hfc-table {{ border-collapse: collapse; font-size: 0.9rem; width: 100%; }}
table.hfc-table caption {{ text-align: left; font-weight: 600; padding: 0.25rem 0.5rem; color: {NHS_BLACK}; }}
table.hfc-table th {{ background: {NHS_PALE_GREY}; color: {NHS_BLACK}; text-align: left; padding: 0.25rem 0.5rem;
  position: sticky; top: 0; }}
table.hfc-table td {{ padding: 0.2rem 0.5rem; border-top: 1px solid {NHS_PALE_GREY}; color: {NHS_BLACK}; }}
table.hfc-table td[data-kind="count"], table.hfc-table td[data-kind="statistic"] {{ text-align: right;
  font-variant-numeric: tabular-nums; }}
table.hfc-table td[data-reason] {{ color: {NHS_DARK_GREY}; font-style: italic; }}
.hfc-note {{ font-size: 0.85rem; color: {NHS_DARK_GREY}; }}
blockquote.hfc-quote {{ border-left: 4px solid {NHS_BLUE}; margin: 0.5rem 0; padding: 0.25rem 0.75rem;
  color: {NHS_BLACK}; }}
</style>
"""
