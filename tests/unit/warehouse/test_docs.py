"""The dbt docs page is made offline: nothing fetched from outside, a Content-Security-Policy pinned."""

from __future__ import annotations

import re

from pipelines.warehouse.docs import make_offline


def test_external_tags_are_stripped_and_a_policy_is_pinned() -> None:
    html = (
        "<html><head><title>dbt</title>"
        '<script src="https://cdn.example.org/sp.js"></script>'
        '<script src="//d1fc8wv8zag5ca.cloudfront.net/2.10.0/sp.js"></script>'
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Lato">'
        "</head><body><script>var inline = 1;</script></body></html>"
    )
    out = make_offline(html)
    assert not re.search(r"(src|href)=[\"'](https?:)?//", out)
    assert "Content-Security-Policy" in out and "connect-src 'none'" in out
    assert "var inline = 1;" in out
    assert make_offline(out) == out
