"""Reminder emails: which one is due at a given moment (rules, pure functions), when a pledge's
next one falls due (planning), and the periodic sweep that writes the due ones (sweep)."""
