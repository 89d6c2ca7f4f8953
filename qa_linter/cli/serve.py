"""`qa-lint serve`: the pre-send HTTP service and the agent page (docs/presend.md)."""
from __future__ import annotations

import click

from ..vocabulary import FAIL_ON
from .common import load_rules, load_scoring, make_run, user_errors, with_rule_options


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes, each with the rules loaded.")
@click.option("--token", envvar="QA_LINT_TOKEN", help="Require Authorization: Bearer TOKEN on /v1/* (also from $QA_LINT_TOKEN); enables /v1/reload.")
@click.option("--max-body", "max_body_bytes", default=1024 * 1024, show_default=True, type=click.IntRange(1), help="Largest request body in bytes (413 beyond).")
@click.option("--max-messages", default=500, show_default=True, type=click.IntRange(2), help="Most messages in one conversation or context (422 beyond).")
@click.option("--max-scan-messages", default=2000, show_default=True, type=click.IntRange(1), help="Most messages in all conversations of one /v1/scan request (422 beyond).")
@click.option("--max-message-chars", default=20_000, show_default=True, type=click.IntRange(1), help="Longest message text in a scan or a check context (422 beyond).")
@click.option("--max-output-bytes", default=8 * 1024 * 1024, show_default=True, type=click.IntRange(1), help="Largest /v1/scan answer; a scan that would answer more stops (422).")
@click.option("--scan-timeout", "scan_seconds", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Seconds one /v1/scan may run (422 beyond).")
@click.option("--max-concurrent-scans", default=2, show_default=True, type=click.IntRange(1), help="/v1/scan requests running at once per worker; others wait, then 503.")
@click.option("--header-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Seconds a client has to send a request's headers.")
@click.option("--body-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Seconds a client has to send a request's body (408 beyond).")
@click.option("--max-client-connections", "max_connections_per_client", default=64, show_default=True, type=click.IntRange(1), help="Open connections per client address.")
@click.option("--allow-host", "allowed_hosts", multiple=True, help="Another name the service may be called by (Host header), e.g. qa.example.com (repeatable).")
@click.option("--allow-origin", "allowed_origins", multiple=True, help="A web page origin that may call the service, e.g. https://helpdesk.example.com (repeatable).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Default lowest severity that blocks a draft [default: error].")
@click.option("--access-log", is_flag=True, help="Log every request.")
@click.option("--scorecard", type=click.Path(exists=True, dir_okay=False), help="Scoring model YAML of /v1/scan's scores [default: setting `scorecard`, else the bundled one].")
@with_rule_options
def command(host, port, workers, token, max_body_bytes, max_messages, fail_on, access_log, config_path, rules,
            max_scan_messages, max_message_chars, max_output_bytes, scan_seconds, max_concurrent_scans, header_timeout,
            body_timeout, max_connections_per_client, allowed_hosts, allowed_origins, scorecard, **rule_options):
    """Run the pre-send HTTP service and the agent page (see docs/presend.md)."""
    from ..service.server import serve
    from ..service.settings import ServiceSettings

    with user_errors():
        run = make_run(config_path, rules, **rule_options, fail_on=fail_on, scorecard=scorecard)
        # Rule and scorecard mistakes stop here, before listening; warnings are printed once the service says where
        # it listens.
        linter = load_rules(run, quiet=True)
        load_scoring(run)
        settings = ServiceSettings.for_run(run, host=host, port=port, workers=workers, token=token or None,
                                           max_body_bytes=max_body_bytes, max_messages=max_messages,
                                           access_log=access_log, max_scan_messages=max_scan_messages,
                                           max_message_chars=max_message_chars, max_output_bytes=max_output_bytes,
                                           scan_seconds=scan_seconds, max_concurrent_scans=max_concurrent_scans,
                                           header_timeout=header_timeout, body_timeout=body_timeout,
                                           max_connections_per_client=max_connections_per_client,
                                           allowed_hosts=list(allowed_hosts), allowed_origins=list(allowed_origins))
        serve(settings, linter)
