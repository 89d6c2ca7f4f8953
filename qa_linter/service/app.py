"""The HTTP service: the pre-send check, batch scans and rule listing over JSON, plus the agent page.

Built on Starlette (the ASGI toolkit under FastAPI) directly: the routes are few, the request bodies are
validated by hand so every error says exactly what is wrong, and the check stays within a millisecond or
two of the in-process call. The app holds one loaded Linter; a reload builds a new one and swaps it in only
if it loaded, so a broken rule file never takes the service down.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import signal
import threading
import time
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from ..canonical import InvalidTranscript
from ..errors import QALinterError, RuleLoadError
from ..scoring import ScoreFigures
from .guard import RequestGuard
from .openapi import openapi_document
from .page import agent_page
from .protocol import ConnectionGuard
from .requests import ApiError, check_request, context_error, read_json, scan_request
from .settings import ServiceSettings

log = logging.getLogger("uvicorn.error")

WARM_UP_DRAFT = "您好，亲，这个问题我帮您核实一下，请修改DNS设置。"
WARM_UP_CONTEXT = [{"role": "customer", "text": "宽带太慢了，我要投诉", "ts": "2026-01-01T10:00:00+08:00"}]


class ServiceState:
    """The loaded rules and scoring model, and how to reload them. Reads need no lock: the rules and the model they
    are scored with are swapped together, in one assignment (`loaded`), so a scan never mixes old and new."""

    def __init__(self, settings: ServiceSettings, linter, scoring=None) -> None:
        self.settings = settings
        self.loaded = (linter, scoring if scoring is not None else settings.build_scoring(linter))
        self.loaded_at = time.time()
        self.reloads = 0
        self._reload_lock = threading.Lock()
        self.scan_slots = asyncio.Semaphore(settings.max_concurrent_scans)
        self.connections = ConnectionGuard(settings.header_timeout, settings.max_connections_per_client)

    def reload(self) -> dict[str, Any]:
        """Load the rules again; keep serving the old ones if the new ones fail. Blocking: call off the loop."""
        with self._reload_lock:
            old = self.linter.pack.fingerprint
            try:
                linter = self.settings.build_linter()
                scoring = self.settings.build_scoring(linter)
                warm_up(linter)
            except RuleLoadError as exc:
                errors = [e.describe() for e in exc.errors]
                log.error("rule reload failed, still serving %s:\n  %s", old, "\n  ".join(errors))
                return {"reloaded": False, "rule_pack": old, "errors": errors}
            except QALinterError as exc:
                log.error("rule reload failed, still serving %s: %s", old, exc)
                return {"reloaded": False, "rule_pack": old, "errors": [str(exc)]}
            self.loaded = (linter, scoring)
            self.loaded_at = time.time()
            self.reloads += 1
            log.info("rules reloaded: %s (%d rules)", linter.pack.fingerprint, len(linter.rules))
            return {"reloaded": True, "rule_pack": linter.pack.fingerprint, "previous": old, "rules": len(linter.rules)}

    @property
    def linter(self):
        return self.loaded[0]


def warm_up(linter) -> None:
    """Load dictionaries and build matchers now, so the first real request is as fast as the rest."""
    linter.warm_up()
    linter.check_reply(WARM_UP_DRAFT, context=WARM_UP_CONTEXT, ts="2026-01-01T10:00:30+08:00")
    linter.scan({"id": "warm-up", "messages": [*WARM_UP_CONTEXT, {"role": "agent", "text": WARM_UP_DRAFT}]})


# -- helpers ------------------------------------------------------------------------------------------------
def _state(request: Request) -> ServiceState:
    return request.app.state.service


def _error(exc: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)


def _authorise(request: Request) -> None:
    token = _state(request).settings.token
    if not token:
        return
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise ApiError(401, "unauthorized", "this service needs a token: send Authorization: Bearer <token>")
    if not hmac.compare_digest(value.strip().encode(), token.encode()):
        raise ApiError(401, "unauthorized", "the token is not valid")


# -- routes -------------------------------------------------------------------------------------------------
async def check(request: Request) -> Response:
    try:
        _authorise(request)
        state = _state(request)
        req = check_request(await read_json(request, state.settings), state.settings)
        try:
            # Run inline: a check takes about a millisecond, less than a hop to the thread pool.
            result = state.linter.check_reply(req.draft, context=req.context, channel=req.channel, ts=req.ts, fail_on=req.fail_on)
        except InvalidTranscript as exc:
            raise context_error(exc) from None
    except ApiError as exc:
        return _error(exc)
    return JSONResponse(result.to_dict())


async def scan(request: Request) -> Response:
    try:
        _authorise(request)
        state = _state(request)
        settings = state.settings
        conversations = scan_request(await read_json(request, settings), settings)
        # A few scans at a time per process: each may hold up to max_output_bytes of answer while it runs.
        try:
            await asyncio.wait_for(state.scan_slots.acquire(), timeout=settings.scan_seconds)
        except asyncio.TimeoutError:
            raise ApiError(503, "busy", f"{settings.max_concurrent_scans} scans are running; try again shortly") from None
        try:
            linter, scoring = state.loaded
            body = await run_in_threadpool(_scan_all, linter, scoring, conversations, settings)
        finally:
            state.scan_slots.release()
    except ApiError as exc:
        response = _error(exc)
        if exc.status == 503:
            response.headers["Retry-After"] = "1"
        return response
    return Response(body, media_type="application/json")


def _scan_all(linter, scoring, conversations, settings) -> bytes:
    """The /v1/scan answer, written record by record so that its size and the time spent are known as it grows:
    past max_output_bytes or scan_seconds the scan stops with 422 (a request is split by its sender, never cut
    short silently). Each conversation carries its score as `qa-lint scan --format json` and the scorecards give
    it (scoring.ScoreFigures: score, passed, and the scorecard's sections)."""
    started = time.perf_counter()
    parts: list[bytes] = []
    size = 0
    counts: dict[str, int] = {}
    findings_total = 0
    scores: list[float] = []
    passed = 0
    for position, conv in enumerate(conversations):
        if time.perf_counter() - started > settings.scan_seconds:
            raise ApiError(422, "scan_too_long", f"the scan took longer than {settings.scan_seconds:g} s after "
                           f"{position} of {len(conversations)} conversations; send fewer or shorter conversations per request",
                           limit=settings.scan_seconds)
        findings = linter.scan(conv)
        figures = dict(ScoreFigures(scoring, conv, findings))
        record = {"id": conv.id, "channel": conv.channel, "messages": len(conv.messages),
                  "findings": [f.to_dict() for f in findings], **figures}
        part = _ENCODE(record).encode("utf-8")
        size += len(part) + 1
        if size > settings.max_output_bytes:
            raise ApiError(422, "result_too_large", f"the answer would be larger than {settings.max_output_bytes} bytes "
                           f"(at conversation {position}: {len(findings)} findings); send fewer conversations per request",
                           limit=settings.max_output_bytes)
        parts.append(part)
        findings_total += len(findings)
        if figures["score"] is not None:
            scores.append(figures["score"])
        passed += figures["passed"] is True
        for f in findings:
            counts[f.category] = counts.get(f.category, 0) + 1
    summary = {
        "conversations": len(parts),
        "findings": findings_total,
        "by_category": dict(sorted(counts.items())),
        # scored: conversations with a score (a conversation with nothing applicable has none)
        "scored": len(scores),
        "passed": passed,
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    return b"".join([b'{"results": [', b",".join(parts), b'], "summary": ', _ENCODE(summary).encode("utf-8"),
                     b', "rule_pack": ', _ENCODE(linter.pack.fingerprint).encode("utf-8"),
                     b', "scorecard": ', _ENCODE(scoring.fingerprint).encode("utf-8"), b"}"])


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


async def rules(request: Request) -> Response:
    try:
        _authorise(request)
    except ApiError as exc:
        return _error(exc)
    from ..presend import decided_later

    linter = _state(request).linter
    listed = [
        {
            "id": r.id,
            "type": r.TYPE,
            "category": r.category,
            "severity": str(r.severity),
            "message": r.message_template,
            "suggest": None if r.suggest is None else str(r.suggest),
            "manual": None if r.manual is None else str(r.manual),
            "channels": sorted(r.channels) if r.channels else None,
            "judged_on_draft": not decided_later(r),
        }
        for r in linter.rules
    ]
    return JSONResponse({"rule_pack": linter.pack.fingerprint, "rules": listed})


async def reload(request: Request) -> Response:
    state = _state(request)
    if not state.settings.token:
        return _error(ApiError(403, "reload_disabled", "reloading over HTTP needs a token: start the service with --token; or send SIGHUP"))
    try:
        _authorise(request)
    except ApiError as exc:
        return _error(exc)
    outcome = await run_in_threadpool(state.reload)
    if not outcome["reloaded"]:
        return JSONResponse({"error": "reload_failed", "reason": "the rules did not load; still serving the previous rules", **outcome}, status_code=409)
    supervisor = state.settings.supervisor_pid
    if supervisor:
        # The other workers load the new rules too: the supervisor replaces the workers one by one.
        os.kill(supervisor, signal.SIGHUP)
        outcome["workers"] = "restarting"
    return JSONResponse(outcome)


async def healthz(request: Request) -> Response:
    state = _state(request)
    linter = state.linter
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "rule_pack": linter.pack.fingerprint,
            "rules": len(linter.rules),
            "loaded_at": round(state.loaded_at, 3),
            "reloads": state.reloads,
            "token_required": bool(state.settings.token),
            "rule_problems": dict(linter.rule_problems),
            "pid": os.getpid(),
        }
    )


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


async def page(request: Request) -> Response:
    html, csp = request.app.state.page
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


async def http_error(request: Request, exc: HTTPException) -> Response:
    codes = {404: "not_found", 405: "method_not_allowed"}
    reason = {404: f"no such endpoint: {request.url.path}", 405: f"{request.method} is not allowed on {request.url.path}"}
    return JSONResponse(
        {"error": codes.get(exc.status_code, "http_error"), "reason": reason.get(exc.status_code, str(exc.detail))},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("internal error on %s %s", request.method, request.url.path)
    return JSONResponse({"error": "internal_error", "reason": f"{type(exc).__name__}: the service failed on this request"}, status_code=500)


# -- the app ------------------------------------------------------------------------------------------------
def create_app(settings: ServiceSettings | None = None, linter=None, *, warm: bool = True) -> Starlette:
    """The ASGI app. `linter` is built from `settings` unless given; it is warmed up before serving."""
    settings = settings or ServiceSettings()
    if linter is None:
        linter = settings.build_linter()
    if warm:
        warm_up(linter)
    state = ServiceState(settings, linter)  # the scoring model from the same settings
    app = Starlette(
        middleware=[Middleware(RequestGuard, settings=settings)],
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
            Route("/v1/check", check, methods=["POST"]),
            Route("/v1/scan", scan, methods=["POST"]),
            Route("/v1/rules", rules, methods=["GET"]),
            Route("/v1/reload", reload, methods=["POST"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=_lifespan,
    )
    app.state.service = state
    app.state.openapi = openapi_document(settings)
    app.state.page = agent_page()
    return app


def _lifespan(app: Starlette):
    import asyncio
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        previous = _watch_sighup(app.state.service, asyncio.get_running_loop())
        try:
            yield
        finally:
            if previous is not None:
                signal.signal(signal.SIGHUP, previous)

    return lifespan(app)


def _watch_sighup(state: ServiceState, loop):
    """Reload the rules on SIGHUP (main thread only: that is where Python delivers signals)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGHUP"):
        return None

    def on_hup(signum, frame):
        log.info("SIGHUP: reloading the rules")
        loop.call_soon_threadsafe(lambda: loop.run_in_executor(None, state.reload))

    return signal.signal(signal.SIGHUP, on_hup)


def app_from_environment() -> Starlette:
    """The app factory uvicorn's worker processes call: settings from the environment, rules loaded once.

    Rules that fail to load end the worker with the errors logged; during a rolling restart after SIGHUP
    uvicorn then keeps the old worker, which goes on serving the old rules.
    """
    settings = ServiceSettings.from_env()
    if settings.supervisor_pid:
        from ..orphans import exit_with_parent

        exit_with_parent(settings.supervisor_pid)  # a supervisor killed with -9 must not leave workers serving
    try:
        return create_app(settings)
    except RuleLoadError as exc:
        log.error("worker %d: the rules did not load:\n  %s", os.getpid(), "\n  ".join(e.describe() for e in exc.errors))
    except QALinterError as exc:
        log.error("worker %d: %s", os.getpid(), exc)
    raise SystemExit(3)
