"""Servers of a test's own, to stop and restart at will: a throwaway PostgreSQL cluster (the
run's shared server is never restarted), a redis-server process, and `flask worker` in a
process of its own, to kill. Each is stopped at the end, whatever happened."""
import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
import redis

from .smtp import free_port

POSTGRES_BINARIES = "/usr/lib/postgresql/*/bin"


def postgres_binaries():
    """The newest installed PostgreSQL's bin folder. Missing binaries fail the test loudly: a
    fault test that silently did not run would prove nothing."""
    found = sorted(glob.glob(POSTGRES_BINARIES), key=lambda path: int(path.split("/")[-2]))
    if not found or not os.path.exists(os.path.join(found[-1], "initdb")):
        pytest.fail(f"PostgreSQL's initdb and pg_ctl are needed ({POSTGRES_BINARIES}): install "
                    f"the postgresql package to run the database fault tests")
    return found[-1]


class PostgresError(Exception):
    pass


class PostgresCluster:
    """initdb, pg_ctl start/restart/stop. initdb refuses to run as root: as root (the CI
    container) the cluster is made and run by the `postgres` user, in a folder it owns."""

    def __init__(self, folder):
        self.bin = postgres_binaries()
        self.folder = folder
        self.data = os.path.join(folder, "data")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool, *args, timeout=60):
        command = [os.path.join(self.bin, tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, timeout=timeout, cwd=self.folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode:
            raise PostgresError(f"{tool} {' '.join(args)}: {done.stderr.strip()}")

    def __enter__(self):
        if os.geteuid() == 0:
            postgres = pwd.getpwnam("postgres")
            os.chown(self.folder, postgres.pw_uid, postgres.pw_gid)
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        self.start()
        return self

    def _pg_ctl(self, action, *args):
        # fsync off: a test's data need not survive a crash of the machine, only a restart.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
                   f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._run("pg_ctl", action, "-D", self.data, "-w", "-t", "30", "-o", options,
                  "-l", os.path.join(self.folder, "postgres.log"), *args)

    def start(self):
        self._pg_ctl("start")

    def restart(self):
        """A fast restart: every client's connection is cut, the data stays."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self):
        self._run("pg_ctl", "stop", "-D", self.data, "-m", "immediate", "-w", "-t", "30")

    def __exit__(self, *exc):
        try:
            self.stop()
        except PostgresError:
            pass  # already stopped
        shutil.rmtree(self.folder, ignore_errors=True)

    def create_database(self, name):
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="module")
def postgres_cluster():
    """A PostgreSQL cluster of the module's own, on a free port, that its tests may restart.
    Its folder is made by tempfile, not pytest: the `postgres` user must be able to reach it."""
    with PostgresCluster(tempfile.mkdtemp(prefix="intake-postgres-")) as cluster:
        yield cluster


class RedisServer:
    """A redis-server process of our own, without persistence: a restart loses everything,
    as a server restarted without its dump (or a FLUSHALL) would."""

    def __init__(self, folder):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is needed for the Redis restart test (package redis-server)")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self):
        """Killed and started again: what it held is gone."""
        self.stop()
        self.start()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture
def redis_server(tmp_path):
    with RedisServer(str(tmp_path)) as server:
        yield server


PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
WORKER = """
import sys
sys.path.insert(0, {root!r})
from tests.support.apps import make_app
app = make_app({database!r}, {instance!r}, **{settings!r})
app.test_cli_runner().invoke(args=["worker"], catch_exceptions=False)
"""


@contextlib.contextmanager
def worker_process(database_url, instance_path, **settings):
    """`flask worker` as production runs it (RQ worker, its scheduler, the periodic jobs) on
    the test's database, in a process group of its own; `.kill()` it with SIGKILL, or it is
    stopped with SIGTERM at the end. The dispatcher runs every second, with no grace."""
    settings = {"DISPATCH_INTERVAL_SECONDS": 1, "EMAIL_DISPATCH_GRACE_SECONDS": 0, **settings}
    script = WORKER.format(root=str(PROJECT_ROOT), database=database_url,
                           instance=instance_path, settings=settings)
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        yield process
    finally:
        stop_group(process)


def stop_group(process, how=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, how)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
