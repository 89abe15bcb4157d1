"""Creating accounts and checking passwords (scrypt, through Werkzeug)."""
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from .models import Coordinator

ROLE_NAMES = ("admin", "coordinator", "partner")
MIN_PASSWORD_LENGTH = 12


def hash_password(password):
    return generate_password_hash(password, method="scrypt")


def new_coordinator(email, password, role="coordinator", name=""):
    if role not in ROLE_NAMES:
        raise ValueError(f"unknown role {role!r}")
    return Coordinator(email=email.strip().lower(), name=name, role=role,
                       password_hash=hash_password(password),
                       session_token=secrets.token_hex(16), active=True, failed_logins=0)


def password_matches(coordinator, password):
    return check_password_hash(coordinator.password_hash, password)


def set_password(coordinator, password):
    coordinator.password_hash = hash_password(password)
    coordinator.session_token = secrets.token_hex(16)  # ends every other session
