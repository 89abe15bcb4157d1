"""Two requests at the same moment, made certain rather than left to chance: each is held just
before it changes anything until every party got there, then all go on together."""
import threading

from .client import ContactBrowser


def same_browser(app, browser):
    """A second client holding the same session cookie: the same browser's next request."""
    twin = ContactBrowser(app.test_client())
    twin.client.set_cookie("session", browser.client.get_cookie("session").value)
    twin.page = browser.page
    return twin


def held_together(monkeypatch, owner, name, parties=2):
    """Replace owner.name by the same function that first waits until every party has called
    it once (each thread waits once: a retry after a lost race goes straight through)."""
    original = getattr(owner, name)
    barrier = threading.Barrier(parties, timeout=15)
    waited = threading.local()

    def held(*args, **kwargs):
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, held)


def at_once(*requests):
    """Run each request (a function of no arguments) in its own thread; their responses."""
    responses, failures = [None] * len(requests), []

    def run(index, request):
        try:
            responses[index] = request()
        except Exception as error:  # a server error propagates in tests: keep it to report
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    return responses


def post_with(browser, url, data, headers=None):
    token = browser.csrf_token()
    return lambda: browser.client.post(url, data={**data, "csrf_token": token},
                                       headers=headers)
