"""A browser without JavaScript over Flask's test client: it keeps the page it was last shown,
and each form it posts carries the security token read from a page, the way a real form post
carries it. Each kind of person (support/client.py, support/triage.py, support/accounts.py)
subclasses it."""
import re
from html import unescape

CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token_in(html):
    """The security token of the page's forms, or None when it has no form."""
    match = CSRF_INPUT.search(html)
    return unescape(match.group(1)) if match else None


class Browser:
    token_page = "/"  # opened for a token when the page shown has no form

    def __init__(self, client):
        self.client = client
        self.page = None

    def get(self, url, **kwargs):
        self.page = self.client.get(url, **kwargs)
        return self.page

    @property
    def text(self):
        return self.page.get_data(as_text=True)

    def csrf_token(self):
        if self.page is None or b"csrf_token" not in self.page.data:
            self.get(self.token_page)
        return csrf_token_in(self.text)

    def post(self, url, data=None, headers=None, follow=False, token=True):
        """Send a form; with token=False, without the security token (as a forged post)."""
        data = dict(data or {})
        if token:
            data["csrf_token"] = self.csrf_token()
        self.page = self.client.post(url, data=data, headers=headers, follow_redirects=follow)
        return self.page
