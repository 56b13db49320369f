"""Commissioner dashboards (issue #19): a Streamlit app on the disclosure-controlled ``dashboards.dash_*`` marts.

Run it with ``streamlit run dashboards/app.py`` (``hfc dashboard`` does, on 127.0.0.1). It reads only the published
warehouse's ``dashboards`` schema, read-only, and shows only published cells.
"""
