"""`qa-lint serve`: the pre-send HTTP service and the agent page (docs/presend.md)."""
from __future__ import annotations

import click

from ..vocabulary import FAIL_ON
from .common import load_rules, make_run, user_errors, with_rule_options


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told otherwise).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port; 0 picks a free one.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes, each with the rules loaded.")
@click.option("--token", envvar="QA_LINT_TOKEN", help="Require Authorization: Bearer TOKEN on /v1/* (also from $QA_LINT_TOKEN); enables /v1/reload.")
@click.option("--max-body", "max_body_bytes", default=1024 * 1024, show_default=True, type=click.IntRange(1), help="Largest request body in bytes (413 beyond).")
@click.option("--max-messages", default=500, show_default=True, type=click.IntRange(2), help="Most messages in one conversation or context (422 beyond).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None, help="Default lowest severity that blocks a draft [default: error].")
@click.option("--access-log", is_flag=True, help="Log every request.")
@with_rule_options
def command(host, port, workers, token, max_body_bytes, max_messages, fail_on, access_log, config_path, rules,
            **rule_options):
    """Run the pre-send HTTP service and the agent page (see docs/presend.md)."""
    from ..service.server import serve
    from ..service.settings import ServiceSettings

    with user_errors():
        run = make_run(config_path, rules, **rule_options, fail_on=fail_on)
        # Rule mistakes stop here, before listening; warnings are printed once the service says where it listens.
        linter = load_rules(run, quiet=True)
        settings = ServiceSettings.for_run(run, host=host, port=port, workers=workers, token=token or None,
                                           max_body_bytes=max_body_bytes, max_messages=max_messages,
                                           access_log=access_log)
        serve(settings, linter)
