"""``quantdesk``: the one command for every job. Sub-command groups live in sibling modules."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from quantdesk import __version__
from quantdesk.model.errors import QuantdeskError
from quantdesk.runtime.cli.data_commands import data
from quantdesk.runtime.cli.db_commands import db
from quantdesk.runtime.cli.deploy_commands import deploy_cmd, kill_switch_cmd, orders_cmd, run_cmd, stop_cmd
from quantdesk.runtime.cli.registry_commands import promote_cmd, registry
from quantdesk.runtime.cli.research_commands import backtest_cmd, parity_cmd, strategies, sweep_cmd
from quantdesk.runtime.cli.risk_commands import risk
from quantdesk.runtime.cli.up_command import up_cmd
from quantdesk.runtime.cli.users_commands import users
from quantdesk.runtime.cli.worker_commands import worker_cmd


class _Group(click.Group):
    """Turns a user's mistake into one line on stderr and exit status 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QuantdeskError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except (KeyboardInterrupt, click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug, not the user's mistake: one line unless debugging
            if logging.getLogger().isEnabledFor(logging.DEBUG):
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} "
                "(please report it; QUANTDESK_LOG_LEVEL=DEBUG shows the traceback)",
                err=True,
            )
            sys.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="quantdesk")
def cli() -> None:
    """QuantDesk: research, backtest, paper-trade and run trading strategies on one engine.

    Settings come from QUANTDESK_* environment variables: QUANTDESK_DATA_DIR (catalog and state,
    default ./data of the checkout), QUANTDESK_DATABASE_URL, QUANTDESK_REDIS_URL, QUANTDESK_LOG_LEVEL.
    """
    from quantdesk.config import load_settings
    from quantdesk.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, json=settings.log_json)


cli.add_command(data)
cli.add_command(db)
cli.add_command(strategies)
cli.add_command(backtest_cmd)
cli.add_command(sweep_cmd)
cli.add_command(parity_cmd)
cli.add_command(promote_cmd)
cli.add_command(registry)
cli.add_command(risk)
cli.add_command(users)
cli.add_command(worker_cmd)
cli.add_command(up_cmd)
for command in (deploy_cmd, run_cmd, stop_cmd, kill_switch_cmd, orders_cmd):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="quantdesk")


if __name__ == "__main__":
    main()
