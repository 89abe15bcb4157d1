"""`flask --app wsgi backup PATH` and `flask --app wsgi restore PATH`."""
import click
from flask.cli import with_appcontext

from . import BackupProblem, backup, restore


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path):
    """Write a backup of the database to PATH (SQLite: a copy; PostgreSQL: pg_dump's custom
    format of the app's schema). Safe while the app runs."""
    try:
        backup(path)
    except BackupProblem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"Backup written to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def restore_command(path):
    """Restore the backup at PATH into the database of DATABASE_URL, which must be empty
    (then run `db upgrade` if the backup is older than the code)."""
    try:
        restore(path)
    except BackupProblem as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"Restored {path}")
