"""Security headers on every response: a Content Security Policy that runs only the app's own
scripts, no framing, no sniffing, no referrer off the site, and nothing signed-in cached.

A pure ASGI middleware (not ``BaseHTTPMiddleware``) so it costs one header list per response.
Behind a TLS proxy (uvicorn trusts ``X-Forwarded-Proto`` from the proxy) the scheme is https, and
the session cookie is then marked ``Secure`` even if the setting was forgotten.
"""

from __future__ import annotations

import base64
import hashlib
import re

from jinja2 import Environment

#: Paths of files that are the same for everyone: the only responses a browser may keep.
ASSET_PREFIXES = ("/assets/", "/nhsuk/", "/htmx/", "/plotly/", "/static/", "/styles/")
#: Pinned packages' files change only with an upgrade (and a restart): kept a day without asking.
#: Stocktake's own (``/static/``, the stylesheet) are checked each time (a 304 when unchanged).
VENDOR_PREFIXES = ("/assets/", "/nhsuk/", "/htmx/", "/plotly/")
VENDOR_CACHE = (b"cache-control", b"public, max-age=86400")
OWN_ASSET_CACHE = (b"cache-control", b"no-cache")


def inline_script_hashes(environment: Environment, template: str = "nhsuk/template.jinja") -> list[str]:
    """CSP hashes of the inline scripts a template carries (the NHS.UK page template sets the
    ``js-enabled`` class inline): allowed by hash, so an injected script never runs."""
    source = environment.loader.get_source(environment, template)[0]
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", source, flags=re.DOTALL)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


def content_security_policy(script_hashes: tuple[str, ...]) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {' '.join(script_hashes)}".strip(),
            # Plotly and the NHS.UK components set element styles from script.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def security_headers(script_hashes: list[str]) -> dict[str, str]:
    """The headers every page carries (an error page built outside the middleware takes them too)."""
    return {
        "content-security-policy": content_security_policy(tuple(script_hashes)),
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
        "cache-control": "no-store",
    }


class SecurityHeaders:
    def __init__(self, app, *, headers: dict[str, str]):
        self.app = app
        self.headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        uncached = [h for h in self.headers if h[0] != b"cache-control"]
        self.vendor_headers = [*uncached, VENDOR_CACHE]
        self.asset_headers = [*uncached, OWN_ASSET_CACHE]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        https = scope.get("scheme") == "https"
        path = scope["path"]
        if path.startswith(VENDOR_PREFIXES):
            ours = self.vendor_headers
        elif path.startswith(ASSET_PREFIXES):
            ours = self.asset_headers
        else:
            ours = self.headers

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message["headers"] = _headers(list(message.get("headers", [])), ours, https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers(headers: list, ours: list, https: bool) -> list:
    names = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in ours if name not in names]
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
        headers = [_secure_cookie(name, value) for name, value in headers]
    return headers


def _secure_cookie(name: bytes, value: bytes) -> tuple[bytes, bytes]:
    if name.lower() == b"set-cookie" and b"; secure" not in value.lower():
        value += b"; secure"
    return name, value
