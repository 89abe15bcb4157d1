"""Pages emails link to: one-click unsubscribe from reminders, and (in development) the mailbox."""
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import update

from ..extensions import csrf, db, token_page_limit
from ..models import Pledge
from .dev_mailbox import list_messages, parts, read_message
from .message import address_from_unsubscribe_token
from .outbox import suppress

bp = Blueprint("emails", __name__)


@bp.get("/unsubscribe/<token>")
@token_page_limit
def unsubscribe(token):
    """Asks before acting: a GET changes nothing (mail scanners open links)."""
    address = address_from_unsubscribe_token(token)
    if address is None:
        return render_template("email_pages/unsubscribe_problem.html"), 404
    return render_template("email_pages/unsubscribe.html", token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt
@token_page_limit  # RFC 8058 one-click: the mail client posts without our form token
def unsubscribe_now(token):
    address = address_from_unsubscribe_token(token)
    if address is None:
        return render_template("email_pages/unsubscribe_problem.html"), 404
    suppress(address, "reminders", "Unsubscribed from reminders")
    db.session.execute(update(Pledge).where(Pledge.focal_email == address)
                       .values(next_reminder_at=None))
    db.session.commit()
    return render_template("email_pages/unsubscribe.html", token=token, done=True)


# --- development mailbox -------------------------------------------------------------------

SAFE_NAME = re.compile(r"^[0-9.]+-[0-9a-f]{8}\.eml$")


def mailbox_folder():
    folder = current_app.config.get("DEV_MAILBOX_DIR")
    if not folder:
        abort(404)
    return Path(folder)


@bp.get("/dev/mail")
def dev_mailbox():
    folder = mailbox_folder()
    messages = list_messages(folder) if folder.exists() else []
    return render_template("email_pages/dev_mailbox.html", messages=messages)


@bp.get("/dev/mail/<name>")
def dev_message(name):
    folder = mailbox_folder()
    if not SAFE_NAME.match(name) or not (folder / name).is_file():
        abort(404)
    message = read_message(folder / name)
    text, html = parts(message)
    return render_template("email_pages/dev_message.html", message=message, text=text, html=html,
                           headers=list(message.items()))
