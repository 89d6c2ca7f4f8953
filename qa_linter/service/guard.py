"""Who may use the service: the name it is called by, the web page that calls it, the kind of body it is sent.

A service on 127.0.0.1 is reachable from every web page the user opens, not only from the user's own tools:

- **cross-site requests**: any page may POST to http://127.0.0.1:8080/v1/scan with `mode: "no-cors"` and a
  `text/plain` body (a "simple" request: the browser sends it without asking first). Requests with a body must
  therefore say `Content-Type: application/json`, which a page on another site can only send after a CORS
  preflight this service never answers; and a request whose `Origin` header names another site is refused.
- **DNS rebinding**: a page on evil.example re-points its own name to 127.0.0.1 and then calls the service as
  its own origin. The browser then sends `Host: evil.example:8080`: only the names the service is meant to be
  called by are accepted (its listen address, localhost for loopback, this machine's names, `--allow-host`).
  An IP address as the Host is always accepted: a rebinding page always comes under its own name.

Checked for every request, before routing, by an ASGI middleware; a refusal is the service's usual JSON error.
"""
from __future__ import annotations

import ipaddress
import json
import socket
from functools import lru_cache

from .settings import ServiceSettings

JSON_BODY_PATHS = ("/v1/check", "/v1/scan")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """The name part of a Host header value (without the port; [::1]:8080 -> ::1), lower case, no final dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


@lru_cache(maxsize=1)
def _machine_names() -> frozenset[str]:
    names = set()
    for get in (socket.gethostname, socket.getfqdn):
        try:
            names.add(get().lower().rstrip("."))
        except OSError:
            pass
    return frozenset(n for n in names if n)


class RequestGuard:
    """ASGI middleware: 421 for a Host the service does not answer to, 403 for another site's Origin, 415 for a
    body that is not declared JSON."""

    def __init__(self, app, settings: ServiceSettings):
        self.app = app
        self.settings = settings
        bound = _host_name(settings.host)
        names = {bound, *(_host_name(h) for h in settings.allowed_hosts)}
        if bound in ("0.0.0.0", "::", "") or _loopback(bound):
            names |= {"localhost"}
        if not _loopback(bound):
            names |= _machine_names()  # called over the network by this machine's own name
        self.names = frozenset(names)
        self.origins = frozenset(o.rstrip("/").lower() for o in settings.allowed_origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {}
        for key, value in scope.get("headers", ()):
            headers.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
        refusal = self.refusal(scope["method"], scope["path"], headers)
        if refusal is None:
            return await self.app(scope, receive, send)
        status, code, reason = refusal
        body = json.dumps({"error": code, "reason": reason}, ensure_ascii=False).encode("utf-8")
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def refusal(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, str, str] | None:
        host = headers.get("host")
        if host is not None and not self.host_allowed(host):
            return (421, "unknown_host",
                    f"this service does not answer to the name {_host_name(host)!r}; call it by its address, "
                    "or start it with --allow-host NAME")
        origin = headers.get("origin")
        if origin is not None and not self.origin_allowed(origin, host):
            return (403, "cross_origin",
                    f"requests from the web page at {origin!r} are not accepted; only the service's own page may "
                    "call it from a browser (or pages allowed with --allow-origin)")
        if method == "POST" and path in JSON_BODY_PATHS:
            media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media_type != "application/json":
                return (415, "unsupported_media_type",
                        f"send the body as JSON with Content-Type: application/json (not {media_type or 'none'!r})")
        return None

    def host_allowed(self, host: str) -> bool:
        name = _host_name(host)
        return name in self.names or _is_ip(name) or name.endswith(".localhost") and "localhost" in self.names

    def origin_allowed(self, origin: str, host: str | None) -> bool:
        origin = origin.strip().rstrip("/").lower()
        if origin in self.origins:
            return True
        if origin == "null" or host is None:
            return False
        # The service's own page: same scheme-less origin as the (already accepted) Host it was loaded from.
        return origin in (f"http://{host.strip().lower()}", f"https://{host.strip().lower()}")


def _loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
