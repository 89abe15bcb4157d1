"""Commands: `flask --app wsgi worker [--burst]`, `reminders sweep [--now ISO8601]`, and what
`make run` starts beside the web app (the development mail server, the embedded Redis).
`coordinators create` belongs to the accounts blueprint (accounts/commands.py)."""
import os
import threading
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from redis.exceptions import LockError
from rq import SimpleWorker
from rq.cron import CronScheduler

from . import worker
from .backups.commands import backup_command, restore_command
from .clock import parse_moment, utcnow
from .email import smtp
from .email.dev_mailbox import serve
from .email.enqueue import email_queue
from .extensions import connect_redis, embedded_redis_server, get_redis, stop_embedded_redis
from .inbound import imap
from .inbound.listener import LmtpListener
from .reminders.sweep import sweep


@click.command("worker")
@click.option("--burst", is_flag=True, help="Drain the queue, then exit.")
@with_appcontext
def worker_command(burst):
    """Send emails and run the periodic jobs (dispatcher, reminder sweep, digest, retention)."""
    queue = email_queue()
    if burst:
        worker.dispatch_pending()  # rows whose enqueue was lost go out in this drain too
    else:
        _start_periodic_jobs(current_app._get_current_object(), queue.name)
    # SimpleWorker runs jobs in this process (timeouts still apply): a fork per job would redo
    # the app's setup each time and send four times fewer emails a second.
    try:
        SimpleWorker([queue], connection=get_redis()).work(burst=burst, with_scheduler=True)
    finally:
        smtp.close_kept_connection()


def periodic_scheduler(app, queue_name):
    """RQ's cron scheduler with the periodic jobs registered (it enqueues them, the workers run
    them)."""
    scheduler = CronScheduler(connection=connect_redis(app))
    config = app.config
    scheduler.register(worker.dispatch_pending, queue_name,
                       interval=config["DISPATCH_INTERVAL_SECONDS"])
    scheduler.register(worker.sweep_reminders, queue_name,
                       interval=config["SWEEP_INTERVAL_SECONDS"])
    scheduler.register(worker.send_coordinator_digest, queue_name, cron=config["DIGEST_CRON"])
    scheduler.register(worker.sweep_retention, queue_name, cron=config["RETENTION_CRON"])
    if config.get("IMAP_URL"):
        scheduler.register(worker.poll_inbound, queue_name,
                           interval=config["INBOUND_POLL_SECONDS"])
    return scheduler


PERIODIC_LEASE_KEY = "intake:periodic-jobs"


class PeriodicLease:
    """Of several workers, the one holding this lease in Redis enqueues the periodic jobs (RQ's
    cron scheduler has no lock of its own: each worker would enqueue each job). The holder
    renews it at every tick; if it dies, the lease runs out and another worker takes it."""

    def __init__(self, connection, seconds):
        self.lock = connection.lock(PERIODIC_LEASE_KEY, timeout=seconds, blocking=False,
                                    thread_local=False)

    def hold(self):
        """True while this worker holds the lease: renewed if it was ours, taken if free."""
        try:
            return self.lock.reacquire()
        except LockError:  # not ours (yet), expired, or Redis restarted or was flushed
            return self.lock.acquire(blocking=False)


def periodic_tick(scheduler, lease):
    """Enqueue what is due if this worker holds the lease; the seconds until the next tick."""
    renew_every = lease.lock.timeout / 3
    if not lease.hold():
        return renew_every
    scheduler.enqueue_jobs()
    return min(scheduler.calculate_sleep_interval(), renew_every)


def _start_periodic_jobs(app, queue_name):
    """The periodic jobs, in a thread beside the worker; with N workers, one enqueues them."""
    scheduler = periodic_scheduler(app, queue_name)
    lease = PeriodicLease(scheduler.connection, app.config["PERIODIC_LEASE_SECONDS"])

    def loop():
        while True:
            try:
                delay = periodic_tick(scheduler, lease)
            except Exception as error:  # Redis away: try again shortly, never die
                app.logger.warning("Periodic jobs not enqueued: %s", error)
                delay = 10
            threading.Event().wait(max(delay, 1))

    threading.Thread(target=loop, name="periodic-jobs", daemon=True).start()


reminders_cli = AppGroup("reminders", help="Reminder emails.")


@reminders_cli.command("sweep")
@click.option("--now", "now", default=None, metavar="ISO8601",
              help="Compute what is due at this moment instead of the current time.")
def sweep_command(now):
    """Write the outbox rows of every reminder due now (running it twice adds nothing)."""
    try:
        moment = parse_moment(now) if now else utcnow()
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 date and time: {now}",
                                 param_hint="--now") from error
    queued = sweep(moment)
    click.echo(f"{queued} reminder(s) queued for {moment.isoformat()}")


inbound_cli = AppGroup("inbound", help="Inbound email: the IMAP folder, the LMTP listener.")


@inbound_cli.command("poll")
def inbound_poll_command():
    """Read the IMAP folder of IMAP_URL once: store every message not read yet."""
    if not current_app.config.get("IMAP_URL"):
        raise click.UsageError("set IMAP_URL first (imap://user:password@host:port/FOLDER)")
    result = imap.poll()
    if result.error:
        click.echo(f"Inbound email: {result.error}", err=True)
        raise SystemExit(1)
    click.echo(f"{result.read} message(s) read, {result.new} new")


@inbound_cli.command("watch")
def inbound_watch_command():
    """Read the IMAP folder as messages arrive (IDLE when the server offers it, otherwise a
    poll every INBOUND_POLL_SECONDS), until Ctrl-C."""
    if not current_app.config.get("IMAP_URL"):
        raise click.UsageError("set IMAP_URL first (imap://user:password@host:port/FOLDER)")
    try:
        imap.watch()
    except KeyboardInterrupt:
        pass


@inbound_cli.command("listen")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="INBOUND_LMTP_PORT when not given.")
def inbound_listen_command(host, port):
    """Receive email over LMTP from the mail server, until Ctrl-C."""
    if not current_app.config.get("INBOUND_ADDRESS"):
        raise click.UsageError("set INBOUND_ADDRESS first (its domain is what is accepted)")
    listener = LmtpListener(current_app._get_current_object(), host=host, port=port)
    listener.start()
    click.echo(f"LMTP on {listener.hostname}:{listener.port}", err=True)
    try:
        wait_for_ctrl_c()
    finally:
        listener.stop()


def wait_for_ctrl_c(parent=None):
    """Hold a foreground command (its servers run in threads or processes of their own); with
    `parent`, only while that process is still its parent."""
    try:
        while parent is None or os.getppid() == parent:
            time.sleep(3600 if parent is None else 0.5)
    except KeyboardInterrupt:
        pass


@click.command("dev-mail-server")
@click.option("--port", default=8025, show_default=True)
@with_appcontext
def dev_mail_server_command(port):
    """A development SMTP server on loopback: what it receives shows at /dev/mail."""
    folder = current_app.config["DEV_MAILBOX_DIR"] or os.path.join(current_app.instance_path,
                                                                   "devmail")
    try:
        serve(folder, port)
    except OSError as error:  # the port is taken, most often: say so, and end (exit code 1)
        raise click.ClickException(
            f"the development mail server cannot listen on 127.0.0.1:{port} "
            f"({error.strerror or error}). Stop what uses that port, or choose another one "
            f"(--port; `make run` reads DEV_SMTP_PORT)") from error


@click.command("embedded-redis")
@with_appcontext
def embedded_redis_command():
    """Development: start the embedded Redis and hold it until Ctrl-C, or until the process
    that started this one ends, then stop it (the other processes join it through the
    instance folder). `make run` starts it outside its process group, so that a signal to the
    whole group stops the others first and this one last."""
    server = embedded_redis_server(current_app._get_current_object())
    click.echo(f"Embedded Redis on {server.socket_file}", err=True)
    try:
        wait_for_ctrl_c(parent=os.getppid())
    finally:
        stop_embedded_redis(server)


def init_app(app):
    app.cli.add_command(embedded_redis_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(inbound_cli)
    app.cli.add_command(dev_mail_server_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
