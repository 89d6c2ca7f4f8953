"""The agent page: one HTML file with its CSS and script inline, served with a strict Content-Security-Policy.

The policy allows exactly the page's own inline style and script (by hash) and requests to the service
itself, so the page can load nothing from elsewhere and injected markup could not run.
"""
from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

PAGE = Path(__file__).with_name("agent.html")


def _hashes(html: str, tag: str) -> list[str]:
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(b.encode('utf-8')).digest()).decode()}'" for b in blocks]


@lru_cache(maxsize=1)
def agent_page() -> tuple[bytes, str]:
    """(the page, its Content-Security-Policy)."""
    html = PAGE.read_text(encoding="utf-8")
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src " + " ".join(_hashes(html, "script")),
            "style-src " + " ".join(_hashes(html, "style")),
            "connect-src 'self'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
        ]
    )
    return html.encode("utf-8"), csp
