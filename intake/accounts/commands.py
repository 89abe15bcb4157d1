"""Command line: `flask --app wsgi coordinators create EMAIL [--admin] [--role R] [--name N]`."""
import sys

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from ..extensions import db
from ..pledges.audit import Actor
from ..web.fields import single_line_problem
from .coordinators import ROLE_NAMES, AccountExists, create_account
from .forms import NAME_MAX_LENGTH, AccountRuleError, check_new_email, check_new_password

COMMAND_LINE = Actor("system", None, "Command line")

coordinators_cli = AppGroup("coordinators", help="Coordinator accounts.")


def stdin_is_terminal():
    return sys.stdin is not None and sys.stdin.isatty()


def read_password():
    """From standard input when it is piped (one line), otherwise asked twice, hidden."""
    if stdin_is_terminal():
        return click.prompt("Password", hide_input=True,
                            confirmation_prompt="Type the password again")
    return sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""


@coordinators_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="An administrator (the same as --role admin).")
@click.option("--role", type=click.Choice(ROLE_NAMES), default=None,
              help="admin, coordinator (the default) or partner (read only).")
@click.option("--name", default="", help="The person's name, as other coordinators see it.")
def create_command(email, admin, role, name):
    """Create an account. The password is read from standard input when it is piped, otherwise
    asked twice without showing it."""
    with force_locale("en"):  # no request to choose a language from
        if admin and role not in (None, "admin"):
            raise click.UsageError(f"--admin contradicts --role {role}.")
        role = "admin" if admin else (role or "coordinator")
        name = name.strip()
        if len(name) > NAME_MAX_LENGTH or single_line_problem(name):
            raise click.BadParameter(
                f"use {NAME_MAX_LENGTH} characters or fewer, without control characters.",
                param_hint="--name")
        try:
            email = check_new_email(email)
        except AccountRuleError as error:
            raise click.BadParameter(str(error), param_hint="EMAIL") from error
        password = read_password()
        try:
            check_new_password(password)
        except AccountRuleError as error:
            raise click.ClickException(str(error)) from error
        try:
            create_account(email, password, role, name, COMMAND_LINE)
        except AccountExists as error:
            raise click.ClickException(
                "An account with this email address already exists.") from error
        db.session.commit()
        click.echo(f"Created the {role} account {email}.")
