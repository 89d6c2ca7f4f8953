"""Running the service with uvicorn: one process, or a supervisor with N worker processes.

The listening socket is bound here, before uvicorn starts, so a port in use is a one-line error and
`--port 0` can report the port it got. With several workers, uvicorn's supervisor starts them; each imports
the app by name, loads the rules once and warms up before it takes requests. SIGHUP to the supervisor
replaces the workers one by one (a replacement whose rules fail to load is not brought in, and the old
worker keeps serving); SIGHUP to a single-process server reloads the rules in place.
"""
from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys

from ..errors import ConfigError
from .settings import ENV_VAR, ServiceSettings

APP_FACTORY = "qa_linter.service.app:app_from_environment"
MAX_CONNECTIONS = 512  # beyond this uvicorn answers 503 at once instead of queueing without bound


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio turns Nagle off (TCP_NODELAY) only on accepted sockets whose proto
    # says TCP; with proto 0 a response written in two parts waits for the client's delayed ACK (~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"{host}:{port} is already in use; choose another port with --port") from None
        if exc.errno == errno.EACCES:
            raise ConfigError(f"not allowed to listen on {host}:{port}; use a port above 1023") from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uvicorn_config(settings: ServiceSettings, app, port: int, log_level: str = "info", **extra):
    import uvicorn

    from .protocol import DeadlineH11Protocol

    return uvicorn.Config(
        app,
        http=DeadlineH11Protocol,  # h11 with a deadline for each request's head (slow clients, see protocol.py)
        host=settings.host,
        port=port,
        log_level=log_level,
        access_log=settings.access_log,
        server_header=False,
        proxy_headers=False,
        timeout_keep_alive=settings.keep_alive_timeout,
        timeout_graceful_shutdown=10,
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=16 * 1024,  # request line and headers; the body has its own limit
        lifespan="on",
        **extra,
    )


def serve(settings: ServiceSettings, linter) -> None:
    """Serve until interrupted. `linter` is the already loaded (and so validated) rule set."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    sock = bind(settings.host, settings.port)
    port = sock.getsockname()[1]
    _announce(settings, port, linter)
    if settings.workers == 1:
        from .app import create_app

        config = uvicorn_config(settings, create_app(settings, linter), port)
        uvicorn.Server(config).run(sockets=[sock])
        return
    settings.supervisor_pid = os.getpid()
    os.environ[ENV_VAR] = settings.to_env()
    config = uvicorn_config(
        settings, APP_FACTORY, port, factory=True, workers=settings.workers,
        # A worker loads the rules and the dictionaries before it reports ready.
        timeout_worker_healthcheck=120,
    )
    Multiprocess(config, sockets=[sock]).run()


def _announce(settings: ServiceSettings, port: int, linter) -> None:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    workers = f"{settings.workers} worker{'s' if settings.workers != 1 else ''}"
    print(
        f"qa-lint serve: http://{host}:{port}/ · {workers} · {len(linter.rules)} rules ({linter.pack.fingerprint})",
        file=sys.stderr,
        flush=True,
    )
    if not is_loopback(settings.host) and not settings.token:
        print(
            f"warning: listening on {settings.host} without --token: anyone who can reach this port can use the service",
            file=sys.stderr,
            flush=True,
        )
    if linter.pack.warnings:  # rules that loaded but use a deprecated field name
        from ..outputs.excerpt import terminal_safe

        for warning in linter.pack.warnings:
            print(terminal_safe(f"warning: {warning.describe()}"), file=sys.stderr, flush=True)
