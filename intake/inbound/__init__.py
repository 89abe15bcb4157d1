"""Email that reaches the app: replies, new messages and the old archive. `ingest.receive` is
the one way in, whatever the path (IMAP polling, the LMTP/SMTP listener, an archive import):
each message is stored once, by its Message-ID."""
