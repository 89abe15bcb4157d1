"""What the app says to its database while a test watches."""
from contextlib import contextmanager

from sqlalchemy import event

from intake.extensions import db


@contextmanager
def sql_sent(app):
    """The SQL statements the app's engine sends meanwhile, as sent, in order."""
    sent = []

    def keep(_conn, _cursor, statement, *_args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)
