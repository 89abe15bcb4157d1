"""Personal data has a purpose and a lifetime: one contact's data exported or erased on request
(contacts.py, over scrub.py), and the retention sweep (retention.py). Pages for admins: views."""
