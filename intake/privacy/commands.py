"""Command line: `flask --app wsgi privacy sweep [--now ISO8601]`, the retention sweep the
worker also runs every night."""
import click
from flask.cli import AppGroup

from .. import worker
from ..clock import parse_moment, utcnow

privacy_cli = AppGroup("privacy", help="Personal data: retention.")


@privacy_cli.command("sweep")
@click.option("--now", "now", default=None, metavar="ISO8601",
              help="Apply the retention rules at this moment instead of the current time.")
def sweep_command(now):
    """Erase the contact data of drafts untouched for RETENTION_DRAFT_DAYS and delete expired
    private links (running it twice at the same moment changes nothing more)."""
    try:
        moment = parse_moment(now) if now else utcnow()
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 date and time: {now}",
                                 param_hint="--now") from error
    drafts, tokens = worker.run_retention(moment)
    click.echo(f"{drafts} draft(s) erased, {tokens} expired private link(s) deleted at "
               f"{moment.isoformat()}")
