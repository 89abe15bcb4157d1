"""Partner matching: a partner offers support for a pledge of the register, the coordinators
move the match along (proposed, introduced, agreed, closed), and each side is introduced to the
other, in its own language, only once the city agreed on its status page."""
import re
from html import unescape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from intake.extensions import db
from intake.matching import states
from intake.matching.queries import partners_found
from intake.models import AuditEntry, OutboxEmail, Pledge, SupportOffer, SupportOfferMove

from .support.accounts import signed_in_client
from .support.client import drain_queue, outbox_rows
from .support.matching import (
    OFFER_ANSWERS,
    MatchesBrowser,
    PartnerBrowser,
    offer_path,
    published_pledge,
    the_offer,
)
from .support.sql import sql_sent
from .support.triage import tracker_path

CITY = "ana.souza@prefeitura.example"  # the focal point of the pledges the tests send
PARTNER = "lucia.martin@puentes.example"
COORDINATORS = "coordinators@mayorsmechanism.example"
CALM = "Please check your answers and send the page again."
PAUSED = "This page was sent many times from your connection in a short while"


def published(app, mailbox, **answers):
    """A published pledge, the emails of its sending and acceptance delivered and set aside."""
    pledge_id, reference = published_pledge(app, **answers)
    drain_queue(app)
    mailbox.received.clear()
    return pledge_id, reference


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def coordinator_browser(app, make_coordinator, email="maria@uclg.example"):
    return MatchesBrowser(signed_in_client(app, make_coordinator(email=email)))


def private_link_in(message):
    return re.search(r"http://pledges\.test(/track/[A-Za-z0-9_\-]+)", text_of(message)).group(1)


def offered(app, reference, changes=None, client=None):
    partner = PartnerBrowser(client or app.test_client())
    response = partner.offer(reference, changes)
    assert response.status_code == 303, partner.text[:3000]
    return the_offer(app)


def offer_emails(app):
    return [row for row in outbox_rows(app) if row.kind.startswith("offer_")]


def city_answers(app, path, answer):
    city = PartnerBrowser(app.test_client())
    city.get(path)
    offer_id = re.search(r'/offers/(\d+)"', city.text).group(1)
    return city, city.post(f"{path}/offers/{offer_id}", {"answer": answer})


# --- a match from offer to close --------------------------------------------------------------


def test_a_match_moves_through_its_states_with_the_emails_it_owes(
        app, make_coordinator, mailbox):
    _pledge_id, reference = published(app, mailbox, city={"language": "fr"})
    partner = PartnerBrowser(app.test_client())
    response = partner.offer(reference)
    assert response.headers["Location"].endswith(f"{offer_path(reference)}/thank-you")
    thanks = partner.get(response.headers["Location"])
    assert "Thank you for your offer" in partner.text and "What happens next" in partner.text
    assert thanks.status_code == 200
    offer = the_offer(app)
    assert (offer.state, offer.language, offer.contact_email) == ("proposed", "es", PARTNER)
    drain_queue(app)

    [acknowledgement] = mailbox.to(PARTNER)  # in Spanish, the partner's language
    assert acknowledgement["Content-Language"] == "es"
    assert "El Mecanismo de Alcaldes" in text_of(acknowledgement)
    assert offer.offer not in text_of(acknowledgement)  # nothing typed is echoed to an address
    [notice] = mailbox.to(COORDINATORS)
    assert "http://pledges.test/triage/matches" in text_of(notice)
    assert notice["Subject"] == f"New offer of support for {reference} (São Paulo)"
    assert mailbox.to(CITY) == []  # the city is asked once a coordinator read the offer
    mailbox.received.clear()

    maria = coordinator_browser(app, make_coordinator)
    refused = maria.move(offer.id, "introduced")
    assert refused.status_code == 422 and "Ask the city first" in unescape(maria.text)
    assert maria.ask_city(offer.id).status_code == 303
    refused = maria.move(offer.id, "introduced")
    assert refused.status_code == 422 and "has not agreed yet" in unescape(maria.text)
    drain_queue(app)

    [question] = mailbox.to(CITY)  # in French, the city's language, with its private link
    assert question["Content-Language"] == "fr"
    assert "Le Mécanisme des maires" in text_of(question)
    assert "Assistance technique" in text_of(question)
    assert PARTNER not in text_of(question)  # no contact before the city agreed
    tracker = private_link_in(question)
    page = app.test_client().get(tracker).get_data(as_text=True)
    for shown in (OFFER_ANSWERS["organisation"], "Yes, introduce us", "No thanks",
                  OFFER_ANSWERS["offer"]):
        assert shown in unescape(page)
    mailbox.received.clear()

    city, answered = city_answers(app, tracker, "yes")
    assert answered.status_code == 303
    page = city.get(answered.headers["Location"]).get_data(as_text=True)
    assert "a coordinator will now introduce you" in page and "Yes, introduce us" not in page
    drain_queue(app)
    [told] = mailbox.to(COORDINATORS)
    assert "agreed to be introduced" in text_of(told)
    assert mailbox.to(PARTNER) == []  # nobody is introduced before the coordinator does it
    mailbox.received.clear()

    assert maria.move(offer.id, "introduced").status_code == 303
    drain_queue(app)
    [to_city] = mailbox.to(CITY)
    [to_partner] = mailbox.to(PARTNER)
    assert to_city["Content-Language"] == "fr" and to_partner["Content-Language"] == "es"
    assert PARTNER in text_of(to_city) and "Lucía Martín" in text_of(to_city)
    assert "Assistance technique" in text_of(to_city)
    assert CITY in text_of(to_partner) and "Ana Souza" in text_of(to_partner)
    assert "El Mecanismo de Alcaldes" in text_of(to_partner)

    assert maria.move(offer.id, "agreed").status_code == 303
    assert maria.move(offer.id, "closed").status_code == 303
    with app.app_context():
        made = db.session.scalars(select(SupportOfferMove).where(
            SupportOfferMove.offer_id == offer.id).order_by(SupportOfferMove.id)).all()
        assert [(m.from_state, m.to_state) for m in made] == [
            (None, "proposed"), ("proposed", "introduced"), ("introduced", "agreed"),
            ("agreed", "closed")]
        assert all(m.at is not None for m in made)
        assert [m.actor_label for m in made[1:]] == ["maria@uclg.example"] * 3
        audited = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("support_%")).order_by(AuditEntry.id)).all()
        assert audited == ["support_offered", "support_offer_put_to_city",
                           "support_offer_city_agreed", "support_offer_moved",
                           "support_offer_moved", "support_offer_moved"]
    page = maria.get("/triage/matches?state=closed").get_data(as_text=True)
    assert OFFER_ANSWERS["organisation"] in page and reference in page
    assert "São Paulo" in page


def test_each_email_of_a_match_is_sent_once_however_often_its_button_is_pressed(
        app, make_coordinator, mailbox):
    _pledge_id, reference = published(app, mailbox)
    offer = offered(app, reference)
    maria = coordinator_browser(app, make_coordinator)
    maria.ask_city(offer.id)
    again = maria.ask_city(offer.id, version="1")  # the second click of a double click
    assert again.status_code == 303
    drain_queue(app)
    [question] = mailbox.to(CITY)
    city_answers(app, private_link_in(question), "yes")
    maria.get("/triage/matches")
    version = maria.shown_version(offer.id)
    first = maria.post(f"/triage/matches/{offer.id}/move",
                       {"version": version, "target": "introduced"})
    second = maria.post(f"/triage/matches/{offer.id}/move",
                        {"version": version, "target": "introduced"})
    assert (first.status_code, second.status_code) == (303, 303)
    drain_queue(app)
    kinds = [row.kind for row in outbox_rows(app)]
    for kind in ("offer_received", "offer_new", "offer_to_city", "offer_city_answered",
                 "offer_introduced_city", "offer_introduced_partner"):
        assert kinds.count(kind) == 1, kind
    assert len(mailbox.to(PARTNER)) == 2  # the acknowledgement, the introduction


def test_a_city_that_declines_is_not_introduced_and_the_partner_is_told_politely(
        app, make_coordinator, mailbox):
    _pledge_id, reference = published(app, mailbox)
    offer = offered(app, reference)
    maria = coordinator_browser(app, make_coordinator)
    maria.ask_city(offer.id)
    drain_queue(app)
    [question] = mailbox.to(CITY)
    mailbox.received.clear()
    city, answered = city_answers(app, private_link_in(question), "no")
    assert answered.status_code == 303
    assert "Your contact was not shared" in city.get(answered.headers["Location"]).get_data(
        as_text=True)
    assert the_offer(app).state == "closed"
    drain_queue(app)
    [told] = mailbox.to(PARTNER)
    assert "Esta vez no seguirá adelante." in text_of(told)  # in the partner's language
    assert CITY not in text_of(told) and "Ana Souza" not in text_of(told)
    # The page shows no button for a closed match: a post made all the same is refused.
    refused = maria.move(offer.id, "introduced", version=str(the_offer(app).version))
    assert refused.status_code == 422 and "cannot be moved" in unescape(maria.text)
    assert [r.kind for r in outbox_rows(app) if r.kind.startswith("offer_introduced")] == []


def test_moves_the_rules_do_not_allow_are_refused_with_a_reason(app, make_coordinator):
    _pledge_id, reference = published_pledge(app)
    offer = offered(app, reference)
    maria = coordinator_browser(app, make_coordinator)
    response = maria.move(offer.id, "agreed")
    assert response.status_code == 422
    assert "A match that is “Proposed” cannot be moved to “Agreed”." in unescape(maria.text)
    assert maria.move(offer.id, "made-up").status_code == 422
    assert maria.move(offer.id, "closed").status_code == 303
    assert maria.move(offer.id, "closed", version="1").status_code == 303  # a second click
    assert "is now “Closed”" in unescape(maria.get("/triage/matches").get_data(as_text=True))
    response = maria.ask_city(offer.id, version=str(the_offer(app).version))
    assert response.status_code == 422
    assert "Only a proposed match can be put to the city." in unescape(maria.text)
    assert the_offer(app).state == "closed"
    with app.app_context():
        assert db.session.scalar(select(SupportOffer.city_asked_at)) is None


def test_a_move_from_a_page_out_of_date_is_a_conflict_not_an_overwrite(app, make_coordinator):
    _pledge_id, reference = published_pledge(app)
    offer = offered(app, reference)
    maria = coordinator_browser(app, make_coordinator)
    jorge = coordinator_browser(app, make_coordinator, email="jorge@iom.example")
    maria.get("/triage/matches")
    stale = maria.shown_version(offer.id)
    assert jorge.ask_city(offer.id).status_code == 303
    response = maria.post(f"/triage/matches/{offer.id}/move",
                          {"version": stale, "target": "closed"})
    assert response.status_code == 409 and "Someone else changed this match" in maria.text
    assert the_offer(app).state == "proposed"


def test_partners_cannot_handle_matches(app, make_coordinator):
    _pledge_id, reference = published_pledge(app)
    offer = offered(app, reference)
    partner = PartnerBrowser(signed_in_client(
        app, make_coordinator(email="p@fund.example", role="partner")))
    assert partner.get("/triage/matches").status_code == 403
    assert partner.post(f"/triage/matches/{offer.id}/move",
                        {"target": "closed", "version": "1"}).status_code == 403
    assert the_offer(app).state == "proposed"


AGREED = states.Match("proposed", city_asked=True, city_agreed=True)


@pytest.mark.parametrize("match, target, reason", [
    (states.Match("proposed"), "introduced", "Ask the city first"),
    (states.Match("proposed", city_asked=True), "introduced", "has not agreed yet"),
    (states.Match("proposed", city_asked=True, city_declined=True), "introduced",
     "has not agreed yet"),
    (states.Match("proposed", city_asked=True, city_agreed=True, pledge_published=False),
     "introduced", "no longer in the public register"),
    (states.Match("proposed", city_asked=True, city_agreed=True, city_reachable=False),
     "introduced", "contact details were erased"),
    (states.Match("proposed"), "agreed", "cannot be moved to “Agreed”"),
    (states.Match("introduced"), "proposed", "cannot be moved to “Proposed”"),
    (states.Match("closed"), "closed", "cannot be moved to “Closed”"),
    (states.Match("agreed"), "introduced", "cannot be moved to “Introduced”"),
    (states.Match("proposed"), "won", "is not a state of a match"),
])
def test_the_rules_refuse_each_move_they_do_not_allow_with_its_reason(app, match, target,
                                                                      reason):
    with app.test_request_context():
        with pytest.raises(states.MoveRefused) as refused:
            states.check_move(match, target)
        assert reason in str(refused.value)


@pytest.mark.parametrize("match, target", [
    (AGREED, "introduced"), (states.Match("proposed"), "closed"),
    (states.Match("introduced"), "agreed"), (states.Match("introduced"), "closed"),
    (states.Match("agreed"), "closed")])
def test_the_rules_allow_the_moves_of_a_match(match, target):
    assert states.check_move(match, target) is None  # no MoveRefused


# --- the offer form ---------------------------------------------------------------------------


def test_the_offer_form_explains_each_problem_and_keeps_what_was_typed(app):
    _pledge_id, reference = published_pledge(app)
    partner = PartnerBrowser(app.test_client())
    response = partner.offer(reference, {"contact_email": "lucia@", "kind": ""})
    assert response.status_code == 422
    page = unescape(partner.text)
    assert 'id="error-summary"' in page
    assert '<a href="#contact_email">Enter an email address in the right format' in page
    assert '<a href="#kind-0">Choose the kind of support you offer.' in page
    assert 'id="contact_email-error"' in page and 'aria-invalid="true"' in page
    for typed in ("Fundación Puentes", "lucia@", "Lucía Martín", OFFER_ANSWERS["offer"]):
        assert typed in page
    assert the_offer(app) is None


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(organisation=st.text(max_size=300), offer=st.text(max_size=4100),
       email=st.text(max_size=300), kind=st.text(max_size=20), language=st.text(max_size=5))
def test_any_text_in_an_offer_is_never_a_server_error_and_is_never_lost(
        app, organisation, offer, email, kind, language):
    with app.app_context():  # the pledge the first example published
        reference = db.session.scalar(select(Pledge.reference).where(
            Pledge.review_state == "accepted"))
    reference = reference or published_pledge(app)[1]
    partner = PartnerBrowser(app.test_client())
    response = partner.offer(reference, {"organisation": organisation, "offer": offer,
                                         "contact_email": email, "kind": kind,
                                         "language": language})
    assert response.status_code in (303, 422)
    if response.status_code == 422:
        for typed in (organisation, offer, email):
            shown = typed.strip()
            if shown and not any(ord(c) < 32 and c not in "\t\n\r" for c in shown):
                assert str(escape(shown)) in partner.text


def test_only_a_published_pledge_that_seeks_support_takes_offers(app):
    _id, unpublished = published_pledge(app, publish=False)
    _id, not_accepted = published_pledge(app, accept=False)
    _id, seeks_nothing = published_pledge(app, pledge={"support_sought": []})
    visitor = PartnerBrowser(app.test_client())
    for reference in (unpublished, not_accepted, seeks_nothing, "CTA-1999-0001"):
        assert visitor.get(offer_path(reference)).status_code == 404
        assert visitor.post(offer_path(reference), OFFER_ANSWERS).status_code == 404
    assert the_offer(app) is None


def test_the_offer_page_shows_the_need_and_no_contact(app):
    _pledge_id, reference = published_pledge(app)
    page = unescape(app.test_client().get(offer_path(reference) + "?kind=funding")
                    .get_data(as_text=True))
    assert "Welcome centre for newcomers" in page and "Technical assistance" in page
    assert "Advice on case management software." in page
    assert CITY not in page and "Ana Souza" not in page and "+55 11" not in page
    assert re.search(r'<input checked[^>]*value="funding"|value="funding"[^>]*checked', page)


# --- spam and floods --------------------------------------------------------------------------


def guarded(app_factory, **overrides):
    return app_factory(**{"RATE_LIMITS_ENABLED": True, "FORM_MIN_FILL_SECONDS": 3,
                          **overrides})


def test_a_filled_in_honeypot_or_a_post_too_fast_is_refused_calmly(app, app_factory):
    _pledge_id, reference = published_pledge(app)
    guarded_app = guarded(app_factory, FORM_MIN_FILL_SECONDS=1)
    robot = PartnerBrowser(guarded_app.test_client())
    robot.client.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    response = robot.offer(reference, {"website": "http://spam.example"})
    assert response.status_code == 422 and CALM in robot.text
    assert "spam.example" not in robot.text and "Fundación Puentes" in unescape(robot.text)
    hasty = PartnerBrowser(guarded_app.test_client())
    hasty.client.environ_base["REMOTE_ADDR"] = "192.0.2.11"
    assert hasty.offer(reference).status_code == 422 and CALM in hasty.text
    assert the_offer(app) is None and offer_emails(app) == []


def test_a_flood_of_offers_from_one_ip_gets_429_pages_that_keep_what_was_typed(
        app, app_factory):
    _pledge_id, reference = published_pledge(app)
    guarded_app = guarded(app_factory, FORM_MIN_FILL_SECONDS=0,
                          RATE_LIMIT_SUPPORT_OFFER="2 per minute")
    partner = PartnerBrowser(guarded_app.test_client())
    partner.client.environ_base["REMOTE_ADDR"] = "198.51.100.20"
    for n in range(2):
        assert partner.offer(reference, {"offer": f"Offer {n}"}).status_code == 303
    response = partner.offer(reference, {"offer": "A third offer, typed with care."})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert PAUSED in partner.text and "A third offer, typed with care." in partner.text
    assert f'action="{offer_path(reference)}" method="post"' in partner.text
    with app.app_context():
        assert len(db.session.scalars(select(SupportOffer)).all()) == 2


def test_one_address_gets_only_its_budget_of_acknowledgements(app, mailbox):
    _pledge_id, reference = published(app, mailbox)
    for n in range(5):  # someone else typing the victim's address, from anywhere
        offered(app, reference, {"offer": f"Offer number {n}"})
    drain_queue(app)
    assert len(mailbox.to(PARTNER)) == 3  # EMAIL_OFFER_BUDGET_PER_DAY
    statuses = [row.status for row in outbox_rows(app, kind="offer_received")]
    assert sorted(statuses) == ["over_budget"] * 2 + ["sent"] * 3
    assert len(mailbox.to(COORDINATORS)) == 5  # every offer is still in the Matches view


def test_an_offer_sent_with_an_expired_session_comes_back_with_what_was_typed(app):
    _pledge_id, reference = published_pledge(app)
    partner = PartnerBrowser(app.test_client())
    partner.get(offer_path(reference))
    response = partner.post(offer_path(reference), OFFER_ANSWERS, token=False)
    assert response.status_code == 400
    assert "Your session had expired, so your offer was not sent yet." in partner.text
    assert OFFER_ANSWERS["offer"] in partner.text and 'name="csrf_token"' in partner.text
    assert the_offer(app) is None
    assert partner.post(offer_path(reference), OFFER_ANSWERS).status_code == 303


def test_an_offer_sent_twice_is_one_offer(app):
    _pledge_id, reference = published_pledge(app)
    partner = PartnerBrowser(app.test_client())
    partner.offer(reference)
    partner.post(offer_path(reference), OFFER_ANSWERS)
    with app.app_context():
        assert len(db.session.scalars(select(SupportOffer)).all()) == 1
    assert len(outbox_rows(app, kind="offer_received")) == 1


# --- partners' accounts -----------------------------------------------------------------------


def test_a_partner_account_sees_its_own_matches_only(app, make_coordinator):
    _pledge_id, reference = published_pledge(app)
    _other_id, other = published_pledge(app, city={"city": "Lyon", "country": "FR"})
    account = make_coordinator(email="lucia@puentes.example", role="partner", name="Lucía")
    signed_in = signed_in_client(app, account)
    form = PartnerBrowser(signed_in)
    form.get(offer_path(reference))
    assert 'value="lucia@puentes.example"' in form.text  # filled in from the account
    mine = offered(app, reference, {"contact_email": "lucia@puentes.example",
                                    "organisation": "Made signed in"}, client=signed_in)
    assert mine.partner_id == account.id
    to_my_address = offered(app, other, {"contact_email": "LUCIA@puentes.example",
                                         "organisation": "Made signed out"})
    assert to_my_address.partner_id is None
    offered(app, other, {"contact_email": "someone@else.example",
                         "organisation": "Somebody else's"})
    page = unescape(signed_in.get("/partner").get_data(as_text=True))
    assert "Made signed in" not in page  # the page lists pledges and states, not our typing
    assert page.count("<tr>") == 3  # a header and our two matches
    assert reference in page and other in page
    assert "someone@else.example" not in page
    assert "Support sought" in page and offer_path(reference) in page


# --- partners found and support sought ------------------------------------------------------


def test_partners_found_counts_agreed_matches_in_one_query(app, make_coordinator, mailbox):
    first_id, first = published(app, mailbox)
    second_id, second = published(app, mailbox, city={"city": "Lyon", "country": "FR"})
    maria = coordinator_browser(app, make_coordinator)
    for organisation in ("One", "Two", "Three"):
        offer = offered(app, first, {"organisation": organisation})
        maria.ask_city(offer.id)
    offered(app, second, {"organisation": "Four"})
    drain_queue(app)
    for message in mailbox.to(CITY):
        city_answers(app, private_link_in(message), "yes")
    with app.app_context():
        offers = {o.organisation: o.id for o in db.session.scalars(select(SupportOffer))}
    for organisation in ("One", "Two"):
        maria.move(offers[organisation], "introduced")
        maria.move(offers[organisation], "agreed")
    maria.move(offers["Two"], "closed")  # its work done: the partner was found all the same
    maria.move(offers["Three"], "introduced")
    with app.app_context(), sql_sent(app) as statements:
        found = partners_found([first_id, second_id, 999])
    assert found == {first_id: 2, second_id: 0, 999: 0}
    assert len(statements) == 1
    with app.app_context():
        assert partners_found([]) == {}


def test_support_sought_lists_the_open_needs_by_kind_and_area(app, make_coordinator):
    _pledge_id, reference = published_pledge(app)
    _lyon_id, lyon = published_pledge(app, city={"city": "Lyon", "country": "FR"},
                                      pledge={"support_sought": ["funding"]},
                                      areas={"action_areas": ["migration-governance"]})
    published_pledge(app, publish=False, city={"city": "Hidden Town"})
    visitor = app.test_client()
    page = unescape(visitor.get("/register/support-sought").get_data(as_text=True))
    assert "Hidden Town" not in page
    assert page.index("Funding") < page.index("Technical assistance")
    assert f'{offer_path(lyon)}?kind=funding' in page
    assert f'{offer_path(reference)}?kind=technical' in page
    assert f'{offer_path(reference)}?kind=peer-exchange' in page
    filtered = unescape(visitor.get("/register/support-sought?kind=funding")
                        .get_data(as_text=True))
    assert offer_path(lyon) in filtered and offer_path(reference) not in filtered
    swapped = visitor.get("/register/support-sought?area=migration-governance",
                          headers={"HX-Request": "true"})
    assert swapped.get_data(as_text=True).lstrip().startswith("<title>")
    assert offer_path(lyon) in swapped.get_data(as_text=True)
    assert offer_path(reference) not in swapped.get_data(as_text=True)

    # A need a partner agreed to meet is no longer open; the pledge's other needs still are.
    offer = offered(app, reference, {"kind": "technical"})
    with app.app_context():
        db.session.execute(SupportOffer.__table__.update().values(state="agreed"))
        db.session.commit()
    page = unescape(visitor.get("/register/support-sought").get_data(as_text=True))
    assert f'{offer_path(reference)}?kind=technical' not in page
    assert f'{offer_path(reference)}?kind=peer-exchange' in page
    assert offer.id


def test_an_introduction_waits_while_the_pledge_left_the_register(app, make_coordinator,
                                                                  mailbox):
    pledge_id, reference = published(app, mailbox)
    offer = offered(app, reference)
    maria = coordinator_browser(app, make_coordinator)
    maria.ask_city(offer.id)
    drain_queue(app)
    [question] = mailbox.to(CITY)
    city_answers(app, private_link_in(question), "yes")
    with app.app_context():
        db.session.execute(OutboxEmail.__table__.delete())
        pledge = db.session.get(Pledge, pledge_id)
        pledge.consent_publish = False
        db.session.commit()
    response = maria.move(offer.id, "introduced")
    assert response.status_code == 422
    assert "no longer in the public register" in unescape(maria.text)
    assert outbox_rows(app) == []


def test_a_pledge_withdrawn_meanwhile_asks_the_city_nothing_more(app, make_coordinator,
                                                                 mailbox):
    pledge_id, reference = published(app, mailbox)
    offer = offered(app, reference)
    coordinator_browser(app, make_coordinator).ask_city(offer.id)
    path = tracker_path(app, pledge_id)
    city = PartnerBrowser(app.test_client())
    city.get(path)
    assert "Yes, introduce us" in city.text
    city.post(path + "/withdraw", {"confirm": "y"})
    city.get(path)
    assert "Offers of support" not in city.text
    city.post(f"{path}/offers/{offer.id}", {"answer": "yes"})
    assert the_offer(app).city_consented_at is None


def test_the_city_answers_only_the_offers_put_to_it_and_only_once(
        app, make_coordinator, mailbox):
    pledge_id, reference = published(app, mailbox)
    other_id, _other = published(app, mailbox, city={"city": "Lyon", "country": "FR"})
    offer = offered(app, reference)
    path = tracker_path(app, pledge_id)
    city = PartnerBrowser(app.test_client())
    city.get(path)
    assert "Offers of support" not in city.text  # not before the coordinators put it to it
    assert city.post(f"{path}/offers/{offer.id}", {"answer": "yes"}).status_code == 303
    assert the_offer(app).city_consented_at is None
    coordinator_browser(app, make_coordinator).ask_city(offer.id)
    stranger = PartnerBrowser(app.test_client())
    stranger.get(tracker_path(app, other_id))
    response = stranger.post(f"{tracker_path(app, other_id)}/offers/{offer.id}",
                             {"answer": "yes"})
    assert response.status_code == 404 and the_offer(app).city_consented_at is None
    city.get(path)
    first = city.post(f"{path}/offers/{offer.id}", {"answer": "yes"})
    second = city.post(f"{path}/offers/{offer.id}", {"answer": "no"})  # a change of mind
    assert (first.status_code, second.status_code) == (303, 303)
    page = city.get(second.headers["Location"]).get_data(as_text=True)
    assert "a coordinator will now introduce you" in page
    assert the_offer(app).state == "proposed" and the_offer(app).city_declined_at is None
