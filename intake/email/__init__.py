"""Outgoing email: outbox -> RQ -> SMTP. Which emails an event causes (events), the outbox rows
written in the event's transaction (outbox), the jobs put on RQ after commit (enqueue), the kinds
and their subjects (kinds), the message built from a row (message), the SMTP delivery (smtp),
whose fault a failed send is (faults), what coordinators see and admins do about failures
(problems), the pages emails link to (pages) and the development mailbox (dev_mailbox)."""
