"""What a `qa-lint serve` process needs to know: where to listen, limits, the token, and which rules to load.

The settings travel to uvicorn's worker processes as JSON in an environment variable (workers are started
fresh and import the app by name), so every worker loads the same rules the same way, and loads them again
the same way on a reload.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from ..errors import ConfigError
from ..vocabulary import FAIL_ON

ENV_VAR = "QA_LINT_SERVICE_SETTINGS"


@dataclass
class ServiceSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    token: str | None = None
    max_body_bytes: int = 1024 * 1024
    max_messages: int = 500  # per conversation, context included
    max_conversations: int = 100  # per /v1/scan request
    max_draft_chars: int = 20_000
    # /v1/scan costs what its answer costs, not what its body costs: a 1 MB body of "亲亲亲…" made a 90 MB answer.
    max_scan_messages: int = 2_000  # messages in all conversations of one /v1/scan request
    max_message_chars: int = 20_000  # characters of one message (scan conversations and check contexts)
    max_output_bytes: int = 8 * 1024 * 1024  # the /v1/scan answer; a scan that would answer more stops (422)
    scan_seconds: float = 10.0  # time one /v1/scan may run before it stops (422)
    max_concurrent_scans: int = 2  # /v1/scan requests running at once per process; others wait, then 503
    body_timeout: float = 10.0  # seconds a client may take to send its request body
    header_timeout: float = 10.0  # seconds from connecting (or the previous response) to a complete request head
    keep_alive_timeout: int = 5  # seconds an idle connection stays open
    # Open connections from one client address; over the limit, its longest-waiting idle one is closed, or the new one.
    max_connections_per_client: int = 64
    # Which names the service answers to (the Host header) and which web pages may call it (the Origin header), beyond
    # its own address and its own agent page: a page on another site, or one that rebinds its name to 127.0.0.1,
    # must not drive a service that only this machine was meant to reach.
    allowed_hosts: list[str] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    fail_on: str = "error"
    access_log: bool = False
    # the rule options of every command (see cli/common.py, RULE_OPTIONS), as run.RunOptions takes them
    config_path: str | None = None
    rules: list[str] = field(default_factory=list)
    no_builtin: bool = False
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: list[str] = field(default_factory=list)
    # the scoring model of /v1/scan's scores (--scorecard), else the configuration's `scorecard`, else the bundled one
    scorecard: str | None = None
    # set by the server for its workers: the uvicorn supervisor, told to renew the workers after a reload
    supervisor_pid: int | None = None

    def __post_init__(self) -> None:
        if self.fail_on not in FAIL_ON:
            raise ConfigError(f"fail_on {self.fail_on!r} must be one of {', '.join(FAIL_ON)}")
        for name in ("max_body_bytes", "max_messages", "max_conversations", "max_draft_chars", "max_scan_messages",
                     "max_message_chars", "max_output_bytes", "max_concurrent_scans", "max_connections_per_client"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("body_timeout", "header_timeout", "scan_seconds"):
            if not float(getattr(self, name)) > 0:
                raise ConfigError(f"{name} must be a positive number of seconds")
        for host in self.allowed_hosts:
            if not host or any(ch in host for ch in "/ @"):
                raise ConfigError(f"--allow-host {host!r}: give a host name or address, such as qa.example.com")
        for origin in self.allowed_origins:
            if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise ConfigError(f"--allow-origin {origin!r}: give an origin such as https://helpdesk.example.com")

    # -- passing to worker processes ------------------------------------------------------------------------
    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> "ServiceSettings":
        raw = os.environ.get(ENV_VAR)
        if not raw:
            raise ConfigError(f"{ENV_VAR} is not set: start the service with `qa-lint serve`")
        return cls(**json.loads(raw))

    # -- rules ----------------------------------------------------------------------------------------------
    @classmethod
    def for_run(cls, run, **settings) -> "ServiceSettings":
        """The settings of a service over `run` (a run.Run): its rule options, with absolute paths so that workers
        and reloads find the same files, and its fail-on level as the default."""
        from pathlib import Path

        options = run.options
        return cls(
            **settings, fail_on=run.fail_on,
            config_path=str(Path(options.config_path).resolve()) if options.config_path else None,
            rules=[str(Path(r).resolve()) for r in options.rules], no_builtin=options.no_builtin,
            select=list(options.select), ignore=list(options.ignore), severity=list(options.severity),
            scorecard=str(Path(options.scorecard).resolve()) if options.scorecard else None,
        )

    def run_options(self):
        from ..run import RunOptions

        return RunOptions(config_path=self.config_path, rules=tuple(self.rules), no_builtin=self.no_builtin,
                          select=tuple(self.select), ignore=tuple(self.ignore), severity=tuple(self.severity),
                          scorecard=self.scorecard)

    def build_linter(self):
        """Load the rules as the command line would; raises RuleLoadError / QALinterError on a mistake."""
        from ..run import Run

        return Run(self.run_options()).linter

    def build_scoring(self, linter):
        """The scoring model `qa-lint scan` would use with these options, for the rules of `linter` (the scores of
        /v1/scan are the scorecards' scores); raises QALinterError on a broken scorecard file."""
        from ..run import Run
        from ..scoring import scoring_model_from_config

        run = Run(self.run_options())
        return scoring_model_from_config(run.config, self.scorecard).limited_to(linter.rules)
