"""uvicorn's HTTP/1.1 protocol with a deadline for the request line and headers.

uvicorn times out an idle connection only *after* a response (keep-alive), and not at all while it waits
for a request's head: a client that connects and sends nothing, or sends a header a byte at a time, holds its
connection for ever. A few hundred such connections fill the server's connection limit, and from then on every
real request is answered 503 (slowloris). Here each request's head must arrive completely within
REQUEST_HEAD_TIMEOUT seconds of the connection opening or of the previous response; otherwise the connection is
closed. The body has its own deadline (ServiceSettings.body_timeout, enforced while reading it: 408).
"""
from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_HEAD_TIMEOUT = 10.0  # seconds from connection (or the previous response) to a complete request head


class DeadlineH11Protocol(H11Protocol):
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_deadline()  # the head is in: the app and its body deadline take over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_deadline()  # the next request on this connection gets the same deadline

    def _arm_head_deadline(self) -> None:
        self._cancel_head_deadline()
        self._head_deadline = self.loop.call_later(REQUEST_HEAD_TIMEOUT, self._head_deadline_passed)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_deadline_passed(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        self.transport.close()
