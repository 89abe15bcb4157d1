"""The fixtures live in tests/support/, one module per concern; tests ask for them by name and
never import them."""
import gc

# Collection off while the fixtures' modules, the app and the tests load (each test process):
# its passes over what is loading find nothing to free. pytest_collection_finish turns it on.
gc.disable()

pytest_plugins = [
    "tests.support.apps",  # the app, its databases and Redis: app, app_factory, client...
    "tests.support.smtp",  # smtp_server, mailbox
    "tests.support.servers",  # postgres_cluster, redis_server: servers a test may restart
    "tests.support.dovecot",  # dovecot, imap_mailbox: a real IMAP server
    "tests.support.accounts",  # make_coordinator, sign_in
    "tests.support.client",  # contact
    "tests.support.chromium",  # chromium, live_server, contact_factory
]


def pytest_collection_finish(session):
    """What collection loaded (the app, the catalogues, the tests) lives for the whole run: it
    is moved out of the garbage collector's sweeps, which then run less often. A run allocates
    millions of short-lived objects, and every full sweep would walk all that was loaded."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)
    gc.enable()


def pytest_configure(config):
    """xdist's controller collects no tests (its test processes do): it collects garbage
    again at once."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        gc.enable()
