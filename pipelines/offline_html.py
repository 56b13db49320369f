"""Make a generated HTML page safe to open offline: nothing fetched from outside the machine.

The Data Docs (GX) and the dbt docs both ship pages that would call out when opened: CDN scripts and styles, a
logo "pixel", a tracker. Every tag that fetches from another host (``https://``, ``http://`` or protocol-relative
``//``) is removed, outbound links lose their target, and a Content-Security-Policy is pinned in the head so the
reader's browser refuses anything that slips through (``connect-src 'none'``).
"""

from __future__ import annotations

import re

_EXTERNAL_TAG = re.compile(
    r"<script\b[^>]*\bsrc=[\"'](?:https?:)?//[^>]*>.*?</script>"  # CDN libraries, trackers
    r"|<(?:link|img|iframe|source)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//[^>]*>",  # styles, fonts, pixels
    re.IGNORECASE | re.DOTALL,
)
_EXTERNAL_LINK = re.compile(r"""(<a\b[^>]*?)\s+href=["'](?:https?:)?//[^"']*["']""", re.IGNORECASE)
DEFAULT_SOURCES = "'self' 'unsafe-inline' data:"


def offline_html(html: str, sources: str = DEFAULT_SOURCES) -> str:
    """``html`` with every external fetch removed and a Content-Security-Policy allowing only ``sources``."""
    out = _EXTERNAL_LINK.sub(r"\1", _EXTERNAL_TAG.sub("", html))
    if "Content-Security-Policy" not in out:
        csp = f'<meta http-equiv="Content-Security-Policy" content="default-src {sources}; connect-src \'none\'">'
        out = re.sub(r"<head([^>]*)>", lambda m: f"<head{m.group(1)}>{csp}", out, count=1, flags=re.IGNORECASE)
    return out
