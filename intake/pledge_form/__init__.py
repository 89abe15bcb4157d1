"""The city's guided pledge form: steps, drafts, private links to come back, and sending."""
