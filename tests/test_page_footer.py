"""What every page carries around its content: where to write for help, the coordinators' way
in (only while not signed in), and the site's own icon."""
import re

HELP_LINK = ('<a href="mailto:help@mayorsmechanism.example">help@mayorsmechanism.example</a>')
ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">')


def test_every_page_footer_tells_where_to_write_with_questions(client):
    for path in ("/", "/register", "/login", "/pledge/step/city", "/no-such-page"):
        page = client.get(path).get_data(as_text=True)
        assert f"Questions? Write to {HELP_LINK}" in page, path


def test_the_help_address_is_given_in_the_readers_language(client):
    page = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert HELP_LINK in page
    assert "Questions? Write to" not in page


def test_a_broken_link_page_gives_the_address_to_write_to(client):
    page = client.get("/resume/not-a-real-token").get_data(as_text=True)
    assert f"If you need help, write to {HELP_LINK} and tell us the name of your city." in page
    assert "write to the Mayors Mechanism" not in page


def test_coordinators_are_offered_to_sign_in_only_while_signed_out(client, make_coordinator,
                                                                    sign_in):
    assert "Coordinators: sign in" in client.get("/").get_data(as_text=True)
    signed_in = sign_in(make_coordinator())
    page = signed_in.get("/").get_data(as_text=True)
    assert "Sign out" in page
    assert "Coordinators: sign in" not in page


def test_a_first_visit_finds_the_sites_icon(client):
    page = client.get("/").get_data(as_text=True)
    icon = client.get(ICON_LINK.search(page).group(1))
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert icon.cache_control.max_age == 365 * 24 * 3600
    assert len(icon.data) < 1000
    old_address = client.get("/favicon.ico")  # what a browser asks when a page names no icon
    assert old_address.status_code == 200
    assert old_address.data == icon.data
    assert old_address.cache_control.max_age > 0
