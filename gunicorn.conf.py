"""Gunicorn's settings for the web process: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value comes from the environment (the names below), with defaults fit for a small server
behind nginx. Gunicorn reads this file itself; the app never imports it."""
import os


def _int(name, default):
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND") or "127.0.0.1:8000"  # or unix:/run/intake/web.sock
# Threads in a few processes: a request mostly waits on the database, Redis or SMTP.
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("GUNICORN_THREADS", 4)
# A request that takes longer than this is killed (the slowest page is an XLSX export).
timeout = _int("GUNICORN_TIMEOUT", 60)
# On a restart (SIGHUP) or stop (SIGTERM), requests under way get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# An idle connection stays open this long: a contact pauses a few seconds between two steps
# of the form, and a connection closed in the meantime fails the next POST ("connection
# closed"). Gunicorn's own default is 2 seconds. With gthread an idle connection waits in the
# poller, not in a thread.
keepalive = _int("GUNICORN_KEEPALIVE", 20)
# Each process replaced after about this many requests, at staggered times; 0 (the default):
# never. A gthread process that is replaced closes its kept-alive connections, and a request
# sent on one just then is reset (gunicorn issue 3038); nginx does not send a POST again, so
# the contact would see an error. Under load (bench/load_mixed.py) replacing every ~2,000
# requests reset about 65 of 17,500; never replacing, none.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)

# The client's address and scheme are the app's to read, from X-Forwarded-For and
# X-Forwarded-Proto, behind TRUSTED_PROXY_COUNT proxies (ProxyFix, intake/__init__.py): one
# place decides whom to believe. Gunicorn's own reading of X-Forwarded-Proto (which trusts any
# client on a unix socket) is switched off.
secure_scheme_headers = {}
forwarded_allow_ips = ""

# Access log on standard output (journald or `docker logs` keep it), error log on standard
# error; "-" is the stream, or a file path. The path of a private link (/track/<token>...) is
# masked in every line: intake/web/logs.py filters the gunicorn.access logger.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG") or "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL") or "info"
# The referrer is left out: it may hold another site's private address.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Gunicorn's control socket (gunicornc) only where one is named: by default it would be one
# path in the user's home for every gunicorn of that user, and a unit's home is read-only.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
