"""The fixtures live in tests/support/, one module per concern; tests ask for them by name and
never import them."""

pytest_plugins = [
    "tests.support.apps",  # the app, its databases and Redis: app, app_factory, client...
    "tests.support.smtp",  # smtp_server, mailbox
    "tests.support.servers",  # postgres_cluster, redis_server: servers a test may restart
    "tests.support.dovecot",  # dovecot, imap_mailbox: a real IMAP server
    "tests.support.accounts",  # make_coordinator, sign_in
    "tests.support.client",  # contact
    "tests.support.chromium",  # chromium, live_server, contact_factory
]
