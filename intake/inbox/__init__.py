"""Blueprint for coordinators: the tray of inbound messages that found no pledge (views),
its forms (forms); the rules in intake/inbound/tray.py."""
