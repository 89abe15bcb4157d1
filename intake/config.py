"""Configuration read from the environment, with safe defaults for the embedded setup."""
import os
import secrets
from datetime import date, timedelta
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


def _numbers(value, default):
    if not value:
        return default
    return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())


def _addresses(value):
    return [part.strip().lower() for part in (value or "").split(",") if part.strip()]


def _milestones(value):
    """"IMRF 2026=2026-05-01; GRF 2027=2027-12-01" -> [(name, date)]."""
    found = []
    for item in (value or "").split(";"):
        if "=" in item:
            name, _, day = item.partition("=")
            found.append((name.strip(), date.fromisoformat(day.strip())))
    return found


class ConfigurationError(RuntimeError):
    """A setting the app refuses to start with; the message says what to set."""


def app_environment(env):
    """"production" or "development": APP_ENV, or else FLASK_ENV (as Flask 2 named it)."""
    name = (env.get("APP_ENV") or env.get("FLASK_ENV") or "development").strip().lower()
    return "production" if name == "production" else "development"


INBOUND_ATTACHMENT_TYPES = ("pdf", "png", "jpg", "jpeg", "gif", "webp", "heic", "doc", "docx",
                            "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "csv", "txt")


def _words(value):
    """A comma-separated list of file name endings, lower case, without dots."""
    return tuple(word.strip().lower().lstrip(".") for word in (value or "").split(",")
                 if word.strip())


def from_environment(instance_path):
    env = os.environ
    default_db = "sqlite:///" + str(Path(instance_path) / "intake.sqlite3")
    base_url = (env.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
    app_env = app_environment(env)
    return {
        "APP_ENV": app_env,
        # In production only SECRET_KEY itself will do (check_environment says so).
        "SECRET_KEY": env.get("SECRET_KEY") or (
            None if app_env == "production" else persistent_secret_key(instance_path)),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(env.get("DATABASE_URL") or default_db),
        # A pooled connection is replaced after DATABASE_POOL_RECYCLE seconds, and one that sat
        # unused longer than DATABASE_POOL_PING_IDLE_SECONDS is tried first (a database restart
        # left it dead): a busy pool pings nothing. DATABASE_POOL_PRE_PING=1 tries every one.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_recycle": int(env.get("DATABASE_POOL_RECYCLE") or 300),
            "pool_pre_ping": _bool(env.get("DATABASE_POOL_PRE_PING")),
        },
        "DATABASE_POOL_PING_IDLE_SECONDS": float(env.get("DATABASE_POOL_PING_IDLE_SECONDS")
                                                 or 10),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "REDIS_HEALTH_CHECK_SECONDS": int(env.get("REDIS_HEALTH_CHECK_SECONDS") or 30),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("MAIL_PORT", "25")),
        # MAIL_USE_TLS: STARTTLS on a plain port (587); MAIL_USE_SSL: TLS from the first byte
        # (SMTPS, port 465). The server's certificate is checked against the system's
        # authorities, or the file MAIL_TLS_CA_FILE names (that of imaps:// in IMAP_URL too).
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL")),
        "MAIL_TLS_CA_FILE": env.get("MAIL_TLS_CA_FILE") or None,
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "pledges@localhost"),
        # Where a city writes for help: every page's footer, every email, and the Reply-To of
        # every email to a city. Falls back to the sender, so there is always an address.
        "CONTACT_EMAIL": (env.get("CONTACT_EMAIL") or "").strip()
        or env.get("MAIL_DEFAULT_SENDER", "pledges@localhost"),
        # The app's own inbound mailbox (pledges@...): when set, every email to a city carries
        # as Reply-To the pledge's own address, plus-addressed on it (pledges+<token>@...).
        "INBOUND_ADDRESS": (env.get("INBOUND_ADDRESS") or "").strip().lower() or None,
        # What an inbound email may bring that is kept: file name endings, and a size limit.
        "INBOUND_ATTACHMENT_TYPES": _words(env.get("INBOUND_ATTACHMENT_TYPES"))
        or INBOUND_ATTACHMENT_TYPES,
        "INBOUND_ATTACHMENT_MAX_BYTES": int(env.get("INBOUND_ATTACHMENT_MAX_BYTES")
                                            or 10 * 1024 * 1024),
        "BASE_URL": base_url,
        # Cookies only over https: on whenever BASE_URL is https (always in production).
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"),
                                       default=base_url.startswith("https://")),
        "REMEMBER_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE"),
                                        default=base_url.startswith("https://")),
        # The domain of every Message-ID (none: the sender's, MAIL_DEFAULT_SENDER's).
        "MAIL_MESSAGE_ID_DOMAIN": (env.get("MAIL_MESSAGE_ID_DOMAIN") or "").strip() or None,
        # DKIM: a signature on every email when a key is set (PEM, RSA), in the variable itself
        # or in a file; the selector of its DNS record; the signing domain (none: the
        # sender's). A key set wrong stops the start (intake/email/wire.py).
        "DKIM_PRIVATE_KEY": env.get("DKIM_PRIVATE_KEY") or None,
        "DKIM_PRIVATE_KEY_PATH": env.get("DKIM_PRIVATE_KEY_PATH") or None,
        "DKIM_SELECTOR": (env.get("DKIM_SELECTOR") or "").strip() or None,
        "DKIM_DOMAIN": (env.get("DKIM_DOMAIN") or "").strip().lower() or None,
        "COORDINATOR_EMAILS": _addresses(env.get("COORDINATOR_EMAILS")),
        "COORDINATOR_DIGEST": _bool(env.get("COORDINATOR_DIGEST")),
        "REMINDER_DRAFT_DAYS": _numbers(env.get("REMINDER_DRAFT_DAYS"), (3, 10)),
        "REMINDER_INFORMATION_DAYS": _numbers(env.get("REMINDER_INFORMATION_DAYS"), (7,)),
        "REMINDER_UPDATE_EVERY_DAYS": int(env.get("REMINDER_UPDATE_EVERY_DAYS") or 182),
        # An accepted pledge's update is overdue this many days after it fell due (due: one
        # REMINDER_UPDATE_EVERY_DAYS after the last progress report, or the acceptance).
        "UPDATE_GRACE_DAYS": max(0, int(env.get("UPDATE_GRACE_DAYS") or 30)),
        "REMINDER_MILESTONE_LEAD_DAYS": int(env.get("REMINDER_MILESTONE_LEAD_DAYS") or 30),
        "REMINDER_MAX_PER_PLEDGE": int(env.get("REMINDER_MAX_PER_PLEDGE") or 6),
        "REVIEW_MILESTONES": _milestones(env.get("REVIEW_MILESTONES")),
        "DEV_MAILBOX_DIR": env.get("DEV_MAILBOX_DIR") or None,
        # The coordinators' aim for a first answer, in working days: the confirmation page
        # promises it to a city that sends its pledge, the queue highlights pledges past it.
        "FIRST_RESPONSE_WORKING_DAYS": max(1, int(env.get("FIRST_RESPONSE_WORKING_DAYS") or 5)),
        # A queue search is counted up to this many matches; past it the queue says "more
        # than" and lists that many, in order (counting every match of a common word is what
        # would make a search slow).
        "TRIAGE_SEARCH_COUNT_LIMIT": max(1, int(env.get("TRIAGE_SEARCH_COUNT_LIMIT") or 1000)),
        # A draft untouched this many days loses its contact data (0: never, by this sweep).
        "RETENTION_DRAFT_DAYS": max(0, int(env.get("RETENTION_DRAFT_DAYS") or 180)),
        # Flooding. Rate limits per client IP, in Flask-Limiter's notation ("5 per minute; 20
        # per hour"), checked on Redis. Step 1 counts every post of the city step (a joint
        # pledge's "add a city" buttons post too); the token pages share one limit.
        "RATE_LIMITS_ENABLED": _bool(env.get("RATE_LIMITS_ENABLED"), default=True),
        # Reverse proxies in front of the app whose X-Forwarded-For and X-Forwarded-Proto are
        # trusted (0: none; 1: nginx on the same machine).
        "TRUSTED_PROXY_COUNT": int(env.get("TRUSTED_PROXY_COUNT") or 0),
        "RATE_LIMIT_INTAKE_START": (env.get("RATE_LIMIT_INTAKE_START")
                                    or "10 per minute; 60 per hour"),
        "RATE_LIMIT_STEP_CITY": env.get("RATE_LIMIT_STEP_CITY") or "30 per minute; 200 per hour",
        "RATE_LIMIT_EMAIL_LINK": env.get("RATE_LIMIT_EMAIL_LINK") or "5 per minute; 30 per hour",
        "RATE_LIMIT_SIGN_IN": env.get("RATE_LIMIT_SIGN_IN") or "20 per minute; 200 per hour",
        "RATE_LIMIT_TOKEN_PAGES": (env.get("RATE_LIMIT_TOKEN_PAGES")
                                   or "60 per minute; 600 per hour"),
        # Every post of a pledge's public "offer support" form (intake/matching).
        "RATE_LIMIT_SUPPORT_OFFER": (env.get("RATE_LIMIT_SUPPORT_OFFER")
                                     or "5 per minute; 30 per hour"),
        # Per recipient, whatever route asked, in the outbox itself (a rolling 24 hours).
        "EMAIL_LINK_BUDGET_PER_DAY": int(env.get("EMAIL_LINK_BUDGET_PER_DAY") or 3),
        "EMAIL_REMINDER_BUDGET_PER_DAY": int(env.get("EMAIL_REMINDER_BUDGET_PER_DAY") or 2),
        # A partner's acknowledgement of its offer of support, and each coordinator's notice
        # of a new offer.
        "EMAIL_OFFER_BUDGET_PER_DAY": int(env.get("EMAIL_OFFER_BUDGET_PER_DAY") or 3),
        "EMAIL_OFFER_NOTICE_BUDGET_PER_DAY": int(env.get("EMAIL_OFFER_NOTICE_BUDGET_PER_DAY")
                                                 or 50),
        # Step 1 (and an offer of support) posted sooner than this after it was shown is a
        # robot's (0: no check).
        "FORM_MIN_FILL_SECONDS": float(env.get("FORM_MIN_FILL_SECONDS") or 3),
        # The licence of the public register's open data (shown on the register, the data
        # dictionary page and in the JSON's metadata), and the address of its text.
        "REGISTER_LICENCE": env.get("REGISTER_LICENCE") or "CC BY 4.0",
        # Inbound email (intake/inbound). IMAP_URL: imap://user:password@host:port/FOLDER
        # (imaps:// for TLS), polled every INBOUND_POLL_SECONDS by the worker; the LMTP
        # listener accepts recipients at INBOUND_ADDRESS's domain only.
        "IMAP_URL": env.get("IMAP_URL") or None,
        "INBOUND_POLL_SECONDS": max(5, int(env.get("INBOUND_POLL_SECONDS") or 60)),
        "INBOUND_LMTP_PORT": int(env.get("INBOUND_LMTP_PORT") or 8024),
        "INBOUND_MAX_MESSAGE_BYTES": int(env.get("INBOUND_MAX_MESSAGE_BYTES")
                                         or 25 * 1024 * 1024),
        "REGISTER_LICENCE_URL": (env.get("REGISTER_LICENCE_URL")
                                 or "https://creativecommons.org/licenses/by/4.0/"),
        # Log lines: one JSON object a line in production (for a log collector), plain text
        # in development and tests; LOG_FORMAT=json or text chooses.
        "LOG_FORMAT": (env.get("LOG_FORMAT") or ("json" if app_env == "production" else "text"))
        .strip().lower(),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").strip().upper(),
    }


PRODUCTION = {
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PREFERRED_URL_SCHEME": "https",
    "HSTS_SECONDS": 365 * 24 * 3600,  # browsers keep to https for a year
    # Pages whose address holds a token send no referrer (it would carry the token), so the
    # forms on them arrive without one: Flask-WTF's https referrer check would refuse them all.
    # The form token, SameSite cookies and HSTS remain.
    "WTF_CSRF_SSL_STRICT": False,
}


def check_environment(config):
    """In production: refuse to start without SECRET_KEY or an https BASE_URL, then set the
    cookies Secure (and HttpOnly, SameSite=Lax) and turn HSTS on."""
    if config.get("APP_ENV") != "production":
        return
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("set SECRET_KEY to a long random value, kept secret and the same for "
                        "every process (for example the output of: python -c \"import secrets; "
                        "print(secrets.token_hex(32))\")")
    if not str(config.get("BASE_URL") or "").startswith("https://"):
        problems.append(f"set BASE_URL to the public https:// address of the app (it is "
                        f"{config.get('BASE_URL')!r}): links in emails and secure cookies "
                        "need it")
    if problems:
        raise ConfigurationError("APP_ENV=production, but the app cannot start: "
                                 + "; ".join(problems) + ".")
    config.update(PRODUCTION)


DEFAULTS = {
    # Generous for long answers in any script, small enough to refuse abuse.
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "MAX_FORM_MEMORY_SIZE": 256 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "HSTS_SECONDS": None,  # production turns it on (PRODUCTION)
    "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
    # A lasting session's cookie is written again (its 30 days start again) on the first
    # response this long after it was signed, not on every one (accounts/sessions.py).
    "SESSION_COOKIE_RENEWED_AFTER": timedelta(days=1),
    "RESUME_TOKEN_LIFETIME": timedelta(days=30),
    # A private link made in a browser waits this long (sealed, in Redis) to be shown once on
    # the "saved" page; after that, "save and come back later" makes a new one.
    "UNSHOWN_LINK_KEPT_FOR": timedelta(days=1),
    "REFERENCE_PREFIX": "CTA",
    "ARCHIVE_UPLOAD_MAX_BYTES": 512 * 1024 * 1024,  # an old inbox's mbox export, uploaded
    "ARCHIVE_POLL_SECONDS": 3,  # an import's page refreshes its progress this often
    "ARCHIVE_IMPORT_TIMEOUT_SECONDS": 3600,
    "TRACKER_POLL_SECONDS": 30,  # the city's status page refreshes its status this often
    "LANGUAGES": ("en", "fr", "es"),
    "BABEL_DEFAULT_LOCALE": "en",
    "HEALTH_TIMEOUT_SECONDS": 2,
    "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,  # static URLs carry a content hash
    "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would otherwise not send when TESTING
    "MAIL_TIMEOUT_SECONDS": 10,
    "RQ_EMAIL_QUEUE": "intake-emails",
    "RQ_JOB_TIMEOUT_SECONDS": 60,  # longer than the SMTP timeout
    "EMAIL_RETRY_DELAYS": (60, 300, 900, 3600, 4 * 3600, 12 * 3600),
    "EMAIL_MAX_ATTEMPTS": 8,
    "EMAIL_STUCK_AFTER_SECONDS": 600,  # far past the job timeout: the worker is gone
    "EMAIL_DISPATCH_GRACE_SECONDS": 30,
    "DISPATCH_INTERVAL_SECONDS": 60,
    # Of several workers, one enqueues the periodic jobs; if it dies, another takes over
    # within this many seconds.
    "PERIODIC_LEASE_SECONDS": 60,
    "SWEEP_INTERVAL_SECONDS": 15 * 60,
    "DIGEST_CRON": "0 7 * * *",
    "RETENTION_CRON": "30 3 * * *",  # the retention sweep, once a night
    "RETENTION_JOB_BUDGET_SECONDS": 30,  # then the job stops between batches (below its timeout)
    # Coordinators
    "TRIAGE_QUEUE_PAGE_SIZE": 50,
    # The public register
    "REGISTER_PAGE_SIZE": 20,
    # A filtered register is counted up to this many matches; past it the page says "more
    # than" and lists that many (the downloads hold every published pledge).
    "REGISTER_COUNT_LIMIT": 1000,
    # Sign-in (accounts/lockout.py): a guesser is one address from one IP.
    "LOGIN_SLOWDOWN_AFTER": 3,  # a guesser's failures before each attempt must wait
    "LOGIN_SLOWDOWN_SECONDS": 2,  # doubling, up to the maximum
    "LOGIN_SLOWDOWN_MAX_SECONDS": 60,
    "LOGIN_LOCK_AFTER": 10,  # a guesser's failures before that guesser is locked out
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_ADDRESS_WARY_AFTER": 10,  # failures on an address from anywhere: slowed sooner
    "LOGIN_NETWORK_LOCK_AFTER": 30,  # failures from one IP on any addresses: IP locked out
    # Server-side sessions (accounts/sessions.py): one unused this long ends, and none lasts
    # longer than the lifetime; "last seen" moves on at most once per interval.
    "COORDINATOR_SESSION_IDLE": timedelta(hours=12),
    "COORDINATOR_SESSION_LIFETIME": timedelta(days=30),
    "COORDINATOR_SESSION_TOUCH_INTERVAL": timedelta(minutes=1),
    # Flask-Limiter: its storage is the app's own Redis connection (intake/extensions.py,
    # AppRedisStorage); "memory://" only for a test app that has no Redis at all.
    "RATELIMIT_STORAGE_URI": "app-redis://",
    # "Email me my link" answers an address at most once in this many seconds.
    "EMAIL_LINK_REQUEST_EVERY_SECONDS": 3600,
}
