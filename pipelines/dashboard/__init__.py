"""Around the commissioner dashboards (``dashboards/app.py``): the server, one real-browser driver shared by the
browser test and the bench, and the disclosure scan of what a browser shows and downloads."""
