"""Deprecated: jobs queued before the move to intake/worker.py name `intake.jobs.send_email`.
RQ finds a job's function by that string, so this name stays for one release; remove it once
no such job can be waiting in Redis."""
from .worker import dispatch_pending, send_coordinator_digest, send_email, sweep_reminders

__all__ = ["dispatch_pending", "send_coordinator_digest", "send_email", "sweep_reminders"]
