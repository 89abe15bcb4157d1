"""Configuration read from the environment, with safe defaults for the embedded setup."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(value, default=False):
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url):
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def persistent_secret_key(instance_path):
    """A development secret kept under instance/, so sessions survive a restart.

    Production sets SECRET_KEY; this only spares a newcomer from inventing one.
    """
    key_file = Path(instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def from_environment(instance_path):
    env = os.environ
    default_db = "sqlite:///" + str(Path(instance_path) / "intake.sqlite3")
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or persistent_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL") or default_db),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "pledges@localhost"),
        "BASE_URL": (env.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # Generous for long answers in any script, small enough to refuse abuse.
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "MAX_FORM_MEMORY_SIZE": 256 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
    "RESUME_TOKEN_LIFETIME": timedelta(days=30),
    "REFERENCE_PREFIX": "CTA",
    "LANGUAGES": ("en", "fr", "es"),
    "BABEL_DEFAULT_LOCALE": "en",
    "HEALTH_TIMEOUT_SECONDS": 2,
    "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,  # static URLs carry a content hash
}
