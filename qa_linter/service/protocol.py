"""uvicorn's HTTP/1.1 protocol with a deadline for the request head and a fair share of connections per client.

uvicorn times out an idle connection only *after* a response (keep-alive), and not at all while it waits
for a request's head: a client that connects and sends nothing, or sends a header a byte at a time, holds its
connection for ever. A few hundred such connections fill the server's connection limit, and from then on every
real request is answered 503 (slowloris; 600 slow connections made 78% of normal requests fail). Here:

- each request's head must arrive completely within `header_timeout` seconds (ServiceSettings, default
  REQUEST_HEAD_TIMEOUT) of the connection opening or of the previous response; otherwise the connection is
  closed. The body has its own deadline (`body_timeout`, enforced while reading it: 408);
- connections waiting for a request head are few and cheap to let go: when more than MAX_WAITING of them are
  open, the one that has waited longest is closed, so a flood of slow connections evicts itself while a real
  client, whose head arrives at once, is served;
- one client address may hold at most `max_connections_per_client` connections: over that, its own
  longest-waiting idle connection is closed to make room, or the new connection if none of its connections is
  idle.
"""
from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_HEAD_TIMEOUT = 10.0  # seconds from connection (or the previous response) to a complete request head
MAX_WAITING = 256  # connections waiting for a request head, all clients together (half the connection limit)


class ConnectionGuard:
    """The open connections of one server: those waiting for a request head (oldest first) and a count per client."""

    def __init__(self, header_timeout: float | None = None, per_client: int = 64):
        self.header_timeout = header_timeout
        self.per_client = per_client
        self.waiting: OrderedDict["DeadlineH11Protocol", str] = OrderedDict()
        self.open = Counter()

    def admit(self, connection: "DeadlineH11Protocol", client: str) -> bool:
        """Make room for a new connection from `client`; False if it must be refused."""
        if self.open[client] >= self.per_client:
            oldest = next((c for c, who in self.waiting.items() if who == client), None)
            if oldest is None:
                return False  # all of its connections are busy with requests: this one is one too many
            oldest.evict()
        while len(self.waiting) >= MAX_WAITING:
            next(iter(self.waiting)).evict()
        self.open[client] += 1
        return True

    def closed(self, connection: "DeadlineH11Protocol", client: str) -> None:
        self.waiting.pop(connection, None)
        self.open[client] -= 1
        if self.open[client] <= 0:
            del self.open[client]


def _service(app):
    """The ServiceState behind uvicorn's app (the Starlette app, perhaps wrapped by uvicorn's middleware)."""
    for _ in range(4):
        service = getattr(getattr(app, "state", None), "service", None)
        if service is not None:
            return service
        app = getattr(app, "app", None)
    return None


class DeadlineH11Protocol(H11Protocol):
    _head_deadline: asyncio.TimerHandle | None = None
    _guard: ConnectionGuard | None = None
    _client: str = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        service = _service(self.app)
        self._guard = getattr(service, "connections", None) if service is not None else None
        if self._guard is not None:
            peer = transport.get_extra_info("peername")
            self._client = str(peer[0]) if isinstance(peer, (tuple, list)) and peer else ""
            if not self._guard.admit(self, self._client):
                self._guard = None
                transport.close()
                return
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        if self._guard is not None:
            self._guard.closed(self, self._client)
            self._guard = None
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_deadline()  # the head is in: the app and its body deadline take over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_deadline()  # the next request on this connection gets the same deadline

    def evict(self) -> None:
        """Close this connection (it is waiting for a request head) to make room for another."""
        self._cancel_head_deadline()
        self.transport.close()

    def _arm_head_deadline(self) -> None:
        self._cancel_head_deadline()
        timeout = self._guard.header_timeout if self._guard is not None and self._guard.header_timeout else REQUEST_HEAD_TIMEOUT
        self._head_deadline = self.loop.call_later(timeout, self._head_deadline_passed)
        if self._guard is not None:
            self._guard.waiting[self] = self._client

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None
        if self._guard is not None:
            self._guard.waiting.pop(self, None)

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        if self._guard is not None:
            self._guard.waiting.pop(self, None)
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self.transport.close()
