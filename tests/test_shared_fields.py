"""A draft's questions are made once for each shape of its step's form and filled in with each
draft's own answers (intake/web/shared_fields.py): every contact still sees exactly the page a
fresh render would give them, and nothing of another draft."""
import pytest
from flask_wtf import FlaskForm
from jinja2 import ChoiceLoader, DictLoader
from wtforms import RadioField, SelectChoice, StringField

from intake.web import shared_fields, shared_pages
from intake.web.fields import long_list, long_select, options

from .support.client import CITY_ANSWERS, STEP_SLUGS, ContactBrowser, step_url
from .test_shared_pages import HTMX_SWAP, without_stamps

LISBON = {
    "city": {**CITY_ANSWERS, "city": "Lisbon", "country": "PT", "marrakech_signatory": "yes",
             "language": "en", "co_cities-0-city": "Porto", "co_cities-0-country": "PT"},
    "areas": {"action_areas": ["essential-services"]},
    "pledge": {"title": "Lisbon welcome desks", "commitment_kind": "programme",
               "target_groups": ["refugees"], "start_date": "2027-01-15",
               "end_date": "2028-06-30", "budget_amount": "120000", "budget_currency": "EUR",
               "funding_status": "partial", "support_sought": ["technical"],
               "implementation_stage": "planning"},
    "alignment": {"gcm_objectives": ["15"], "gcr_objectives": ["2"]},
}
TUNIS = {
    "city": {**CITY_ANSWERS, "city": 'Tunis <b>"&\'</b>', "country": "TN",
             "marrakech_signatory": "no", "language": "fr", "co_cities-0-city": "Sfax",
             "co_cities-0-country": "TN"},
    "areas": {"action_areas": ["inclusion-social-cohesion", "essential-services"]},
    "pledge": {"title": "Tunis language classes", "commitment_kind": "policy",
               "target_groups": ["women-children"], "start_date": "2027-03-01",
               "end_date": "2030-12-31", "budget_amount": "99000", "budget_currency": "TND",
               "funding_status": "secured", "support_sought": ["peer-exchange"],
               "implementation_stage": "in-progress"},
    "alignment": {"gcm_objectives": ["16", "23"], "gcr_objectives": ["1"]},
}
LISBON_ONLY = ("Lisbon", "Porto", "120000", "2028-06-30")
DRAFT_PAGES = (*(step_url(slug) for slug in STEP_SLUGS), "/pledge/review")


def draft_of(app, answers):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(answers=answers)
    return contact


def forget_everything_kept(app):
    shared_pages.forget(app)
    shared_fields.forget(app)


def kept_shapes(app):
    """How many shapes of questions are kept with holes to fill in."""
    return sum(1 for kept in app.extensions.get(shared_fields.KEPT, {}).values() if kept)


def test_a_drafts_questions_and_answers_made_from_another_drafts_are_a_fresh_render(app):
    lisbon, tunis = draft_of(app, LISBON), draft_of(app, TUNIS)
    for page in DRAFT_PAGES:
        for headers in ({}, HTMX_SWAP):
            forget_everything_kept(app)
            lisbon.client.get(page, headers=headers)  # its questions made and kept
            assert kept_shapes(app) == 1, page
            shared = tunis.client.get(page, headers=headers).get_data(as_text=True)
            assert kept_shapes(app) == 1, page  # the same shape: Lisbon's was filled in
            forget_everything_kept(app)
            fresh = tunis.client.get(page, headers=headers).get_data(as_text=True)
            assert without_stamps(shared) == without_stamps(fresh), (page, headers)
            assert not [word for word in LISBON_ONLY if word in shared], page


def test_each_draft_sees_its_own_choices_on_questions_made_once(app):
    lisbon, tunis = draft_of(app, LISBON), draft_of(app, TUNIS)
    lisbon.get(step_url("city"))
    tunis.get(step_url("city"))
    assert 'value="Tunis &lt;b&gt;&#34;&amp;&#39;&lt;/b&gt;"' in tunis.text
    assert '<option selected value="TN">' in tunis.text
    assert '<option selected value="PT">' not in tunis.text
    assert 'checked id="marrakech_signatory-1"' in tunis.text  # "no"
    assert 'checked id="marrakech_signatory-0"' not in tunis.text
    assert 'checked id="marrakech_signatory-0"' in lisbon.text
    lisbon.get(step_url("alignment"))
    tunis.get(step_url("alignment"))
    assert 'checked id="gcm_objectives-14"' in lisbon.text  # objective 15
    assert 'checked id="gcm_objectives-22"' in tunis.text  # objective 23
    assert 'checked id="gcm_objectives-14"' not in tunis.text


def test_each_draft_checks_its_own_answers_on_a_list_made_once(app):
    """However many action areas or objectives each chose."""
    lisbon, tunis = draft_of(app, LISBON), draft_of(app, TUNIS)
    lisbon.get("/pledge/review")
    shapes = kept_shapes(app)
    tunis.get("/pledge/review")
    assert kept_shapes(app) == shapes
    assert "Tunis &lt;b&gt;&#34;&amp;&#39;&lt;/b&gt;" in tunis.text
    assert "Tunis language classes" in tunis.text and "Lisbon" not in tunis.text
    assert "Sfax (Tunisia)" in tunis.text and "Porto" not in tunis.text
    objectives = tunis.text.split("GCM objectives</dt>")[1].split("</dd>")[0]
    assert objectives.count("<li>") == 2 and "<li>23. " in objectives


def test_an_answer_not_given_says_so_on_a_list_made_once(app):
    lisbon = draft_of(app, LISBON)
    fewer = draft_of(app, {**LISBON, "pledge": {**LISBON["pledge"], "support_sought": []}})
    lisbon.get("/pledge/review")
    shapes = kept_shapes(app)
    fewer.get("/pledge/review")
    assert kept_shapes(app) == shapes
    assert "Not given" in support_sought_on(fewer.text)
    assert "Not given" not in support_sought_on(lisbon.get("/pledge/review").text)


def support_sought_on(page_text):
    return page_text.split("Support sought</dt>")[1].split("</dd>")[0]


def test_a_draft_of_another_shape_gets_questions_of_its_own(app):
    one_city, no_city = draft_of(app, LISBON), draft_of(app, {"city": CITY_ANSWERS})
    one_city.get(step_url("city"))
    shapes = kept_shapes(app)
    no_city.get(step_url("city"))
    assert kept_shapes(app) == shapes + 1
    assert "Co-pledging city 1" in one_city.text and "Co-pledging city 1" not in no_city.text
    assert "Porto" not in no_city.text


def test_a_form_with_errors_is_made_afresh(app):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="city")
    contact.get(step_url("areas"))
    shapes = kept_shapes(app)
    response = contact.post(step_url("areas"), {"action": "continue"})
    assert response.status_code == 422
    assert "Choose at least one action area." in contact.text
    assert kept_shapes(app) == shapes


# --- templates that show an answer some other way than through its widget ----------------------


class ProbeForm(FlaskForm):
    city = StringField("City")
    size = RadioField("Size", choices=options([("s", "Small"), ("l", "Large")]))


class ProbeWithCountryForm(ProbeForm):
    country = long_select("Country")


class ProbeWithOwnAttributesForm(ProbeForm):
    size = RadioField("Size", choices=[SelectChoice("s", "Small", render_kw={"class": "s"}),
                                       SelectChoice("l", "Large")])


PROBES = {
    "probe/widget.html": "{{ form.city() }}{% for o in choice_options(form.size) %}"
                         "{{ o.html }}{% endfor %}",
    "probe/shouting.html": "{{ form.city() }} {{ form.city.data|upper }}",
    "probe/token.html": "{{ form.city() }}{{ form.csrf_token }}",
    "probe/group.html": "{{ form.city() }}{{ form.size() }}",  # WTForms' own list of radios
    "probe/country.html": "{{ form.country() }} {{ form.country.data }}",
}


@pytest.fixture
def probe_app(app, monkeypatch):
    monkeypatch.setattr(app.jinja_env, "loader",
                        ChoiceLoader([DictLoader(PROBES), app.jinja_env.loader]))
    return app


def probe(app, template, city, size="s", form_class=ProbeForm, country=None):
    with app.test_request_context("/"):
        form = form_class(formdata=None, data={"city": city, "size": size, "country": country})
        if "country" in form:
            long_list(form.country, ("probe", "en"), options([("PT", "Portugal"),
                                                             ("TN", "Tunisia")]))
        return str(shared_fields.render_form(template, form))


def test_answers_that_look_like_marks_are_put_in_as_they_are(probe_app):
    probe(probe_app, "probe/widget.html", "Lisbon")
    assert kept_shapes(probe_app) == 1
    page = probe(probe_app, "probe/widget.html", "Centre\x000\x00 <b>", size="l")
    assert page == ('<input id="city" name="city" type="text" value="Centre\x000\x00 &lt;b&gt;">'
                    '<input id="size-0" name="size" type="radio" value="s">'
                    '<input checked id="size-1" name="size" type="radio" value="l">')


def test_a_template_that_shows_an_answer_outside_its_widget_is_made_afresh(probe_app):
    assert "LISBON" in probe(probe_app, "probe/shouting.html", "Lisbon")
    tunis = probe(probe_app, "probe/shouting.html", "Tunis")
    assert "TUNIS" in tunis and "LISBON" not in tunis
    assert kept_shapes(probe_app) == 0


def test_questions_that_show_the_security_token_are_made_afresh(probe_app):
    probe(probe_app, "probe/token.html", "Lisbon")
    assert kept_shapes(probe_app) == 0


def test_a_group_with_an_option_of_its_own_attributes_is_made_afresh(probe_app):
    """WTForms writes such an option itself, checked or not, with no hole for it."""
    probe(probe_app, "probe/widget.html", "Lisbon", form_class=ProbeWithOwnAttributesForm)
    assert kept_shapes(probe_app) == 0
    page = probe(probe_app, "probe/widget.html", "Lisbon", size="l",
                 form_class=ProbeWithOwnAttributesForm)
    assert 'checked id="size-1"' in page


def test_a_group_shown_by_wtforms_itself_is_made_afresh(probe_app):
    """Its options are written checked or not, with no hole for them."""
    probe(probe_app, "probe/group.html", "Lisbon", size="s")
    assert kept_shapes(probe_app) == 0
    page = probe(probe_app, "probe/group.html", "Tunis", size="l")
    assert 'checked id="size-1"' in page and 'checked id="size-0"' not in page


def test_a_long_list_whose_answer_is_shown_outside_it_is_made_afresh(probe_app):
    probe(probe_app, "probe/country.html", "Lisbon", form_class=ProbeWithCountryForm,
          country="PT")
    assert kept_shapes(probe_app) == 0
    page = probe(probe_app, "probe/country.html", "Tunis", form_class=ProbeWithCountryForm,
                 country="TN")
    assert page.endswith(" TN") and '<option selected value="TN">' in page
