"""What the app says to its database while a test watches."""
from contextlib import contextmanager

from sqlalchemy import event

from intake.extensions import db

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@contextmanager
def _each_statement(app, keep):
    """keep(conn, statement) is called for each statement the app's engine sends meanwhile."""
    def listener(conn, _cursor, statement, *_args):
        keep(conn, statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@contextmanager
def sql_sent(app):
    """The SQL statements the app's engine sends meanwhile, as sent, in order."""
    sent = []
    with _each_statement(app, lambda _conn, statement: sent.append(statement)):
        yield sent


@contextmanager
def isolation_levels_used(app):
    """The isolation level each statement sent meanwhile ran under, in order: "AUTOCOMMIT"
    for a statement outside a transaction, "default" for one in the usual transaction."""
    used = []
    with _each_statement(app, lambda conn, _statement: used.append(
            conn.get_execution_options().get("isolation_level", "default"))):
        yield used


def statement_kind(statement):
    """ "SELECT pledge", "UPDATE pledge", "INSERT outbox_email"...: the verb and first table."""
    words = statement.split()
    table = next((words[i + 1] for i, word in enumerate(words[:-1])
                  if word.upper() in ("FROM", "INTO", "UPDATE")), "")
    return f"{words[0].upper()} {table.strip(chr(34))}".strip()


def queries(sent):
    """The statements that are not transaction control (SQLite's BEGIN, SAVEPOINT...)."""
    return [statement for statement in sent
            if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL]
