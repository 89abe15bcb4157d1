"""The web process as production runs it: gunicorn with gunicorn.conf.py (gthread workers), on
the run's database and Redis. A contact who pauses between two steps keeps the connection, and
the access log never holds a private link's token."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .support.apps import redis_url_of_this_run
from .support.smtp import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_SECONDS = 20


def wait_for_port(port, process):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen within {START_SECONDS} s")


@pytest.fixture(scope="module")
def gunicorn(migrated_database, embedded_redis, tmp_path_factory):
    """gunicorn -c gunicorn.conf.py wsgi:app, as the systemd unit and the image start it; its
    settings from the environment only."""
    folder = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    redis_url = redis_url_of_this_run() or f"unix://{embedded_redis.socket_file}"
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
           "GUNICORN_THREADS": "2", "GUNICORN_ACCESS_LOG": str(folder / "access.log"),
           "GUNICORN_ERROR_LOG": str(folder / "error.log"), "DATABASE_URL": migrated_database,
           "REDIS_URL": redis_url, "SECRET_KEY": "test-secret", "APP_ENV": "development",
           "BASE_URL": "http://pledges.test", "RATE_LIMITS_ENABLED": "0"}
    for name in ("GUNICORN_KEEPALIVE", "GUNICORN_CMD_ARGS", "FLASK_ENV"):
        env.pop(name, None)  # the defaults of gunicorn.conf.py are what is tested
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=PROJECT_ROOT, env=env, start_new_session=True)
    try:
        wait_for_port(port, process)
        yield port, folder
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(connection, path):
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response


def test_a_contact_pausing_three_seconds_between_steps_keeps_the_connection(gunicorn):
    port, _folder = gunicorn
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        first = get(connection, "/")
        assert first.status == 200 and not first.will_close
        kept = connection.sock
        time.sleep(3)  # reading the page before the next step
        second = get(connection, "/healthz")
        assert second.status == 200
        assert connection.sock is kept  # the same connection, not a new one
    finally:
        connection.close()


def test_the_access_log_never_holds_a_private_links_token(gunicorn):
    port, folder = gunicorn
    token = "Zq3secretTOKENnotForLogs"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for path in (f"/track/{token}", f"/track/{token}/status", f"/unsubscribe/{token}",
                     f"/resume/{token}"):
            get(connection, path)
    finally:
        connection.close()
    log = read_log_until(folder / "access.log", "/resume/")
    assert token not in log
    for masked in ("/track/…", "/track/…/status", "/unsubscribe/…", "/resume/…"):
        assert f'"GET {masked} HTTP/1.1"' in log
    assert token not in (folder / "error.log").read_text()


def read_log_until(path, text, seconds=5):
    deadline = time.monotonic() + seconds
    while True:
        log = path.read_text() if path.exists() else ""
        if text in log or time.monotonic() > deadline:
            return log
        time.sleep(0.05)
