"""Coordinator sessions (Flask-Login) and who may do what.

Roles: admin (everything, and accounts), coordinator (triage), partner (read only)."""
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..models import Coordinator
from . import sessions


@login_manager.user_loader
def load_coordinator(session_user_id):
    """The cookie names a server-side session (accounts/sessions.py): an ended one, or one of
    a deactivated account, opens nothing."""
    return sessions.load(session_user_id)


def coordinator_by_email(email):
    return db.session.scalar(select(Coordinator).where(
        Coordinator.email == (email or "").strip().lower()))


def requires(permission=None):
    """A view for signed-in coordinators; with a permission (an attribute of the account, such
    as "can_change"), an account without it gets 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if permission and not getattr(current_user, permission):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


signed_in = requires()  # any role may look
may_change = requires("can_change")  # admins and coordinators; partners get 403
admin_only = requires("is_admin")
