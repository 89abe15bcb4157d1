"""After sending, in a real browser (Debian's Chromium): the city goes from its confirmation to
its pledge's status page and to "View or print your answers", whose "Print" button works when
JavaScript runs (the browser's own advice shows when not), and which prints on A4 with every
answer whole: no text cut, however long the title, the words or the addresses. None of the three
pages has an accessibility violation, in English, French or Spanish."""
import io
import re
import unicodedata

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from .support.axe import axe_violations
from .support.chromium import switch_language
from .support.client import PLEDGE_ANSWERS
from .support.triage import sent_pledge, tracker_path

pytestmark = pytest.mark.browser

# A4 is 210 mm wide; the print stylesheet leaves 16 mm each side: 178 mm, at 96 px an inch.
A4_PRINTABLE_WIDTH_PX = 673
A4_POINTS = (595.3, 841.9)  # 210 x 297 mm

# No hyphen, space or other place a browser may break a line at: only the stylesheet's wrap.
LONG_URL = ("https://prefeitura.saopaulo.example/secretaria_municipal_de_direitos_humanos/"
            "coordenacao_de_politicas_para_imigrantes/centro_de_referencia_e_atendimento/"
            "plano_municipal_2027_2030/relatorio_completo_com_anexos_indicadores_e_orcamento.pdf")
LONG_ANSWERS = {
    "title": ("A welcome centre, language classes, legal advice and housing support for every "
              "newcomer arriving in São Paulo, run with the neighbourhood associations"),
    "summary": ("A one-stop centre where newcomers find housing, health and school advice. "
                f"The plan is published at {LONG_URL}"),
    "commitment": "\n\n".join(
        f"Phase {n}: the city opens and staffs a welcome centre in district {n}, with "
        "interpreters in Portuguese, Spanish, French, Arabic and Haitian Creole, a legal clinic "
        "twice a week and a housing desk that works with the municipal social housing company "
        "and the Conselho Municipal de Imigrantes (Municipal Council of Immigrants)."
        for n in range(1, 9)),
    "support_details": f"Advice on case management software: see {LONG_URL}?version=2",
}
SECTION_HEADINGS = ("City and contact", "Action areas", "The pledge",
                    "Alignment with the Global Compacts", "Consent")

# Every element (shown, and not text kept for screen readers only) whose content is wider than
# its box, or that reaches past the page's width.
OVERFLOWING = """() => {
    const width = document.documentElement.clientWidth;
    const found = [];
    for (const element of document.querySelectorAll("body *")) {
        if (element.closest(".visually-hidden, .trap") || !element.getClientRects().length) {
            continue;
        }
        const box = element.getBoundingClientRect();
        const wider = element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 1;
        if (wider || box.right > width + 1 || box.left < -1) {
            found.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className}: ` +
                       `${element.scrollWidth} > ${element.clientWidth}, right ${box.right}`);
        }
    }
    return {pageWidth: width, documentWidth: document.documentElement.scrollWidth, found};
}"""


def without_spaces(text):
    """The text with no spaces or line breaks, ligatures ("ﬁ") as their letters."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def test_a_city_prints_its_long_answers_on_a4_with_no_text_cut(app, contact_factory,
                                                               live_server):
    pledge_id = sent_pledge(app, pledge={**PLEDGE_ANSWERS, **LONG_ANSWERS})
    answers_page = live_server + tracker_path(app, pledge_id) + "/answers"
    city = contact_factory(javascript=True)
    page = city.page

    # On screen at A4's printable width, as paper shows it: nothing wider than the page.
    page.set_viewport_size({"width": A4_PRINTABLE_WIDTH_PX, "height": 950})
    page.emulate_media(media="print")
    page.goto(answers_page)
    layout = page.evaluate(OVERFLOWING)
    assert layout["found"] == [], layout
    assert layout["documentWidth"] <= layout["pageWidth"]
    # Paper has no navigation, buttons, language switch or back link: the header keeps the
    # service's name, the footer only the contact (a paragraph with its email address), if any.
    for hidden in (".site-header nav", ".language-switch", "#print-button", "#print-advice",
                   ".back-link"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator(".site-name")).to_be_visible()
    for paragraph in page.locator(".site-footer p").all():
        if paragraph.is_visible():
            expect(paragraph.locator('a[href^="mailto:"]')).to_have_count(1)
    expect(page.locator("#reference")).to_be_visible()

    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    pages = [pdf_page.extract_text() for pdf_page in reader.pages]
    assert len(pages) >= 2  # long answers: more than one sheet
    for pdf_page in reader.pages:  # A4, to the point (Chromium rounds to a hundredth inch)
        size = (float(pdf_page.mediabox.width), float(pdf_page.mediabox.height))
        assert all(abs(side - a4) < 1.5 for side, a4 in zip(size, A4_POINTS, strict=True)), size
    printed = without_spaces("".join(pages))
    # Every answer whole, each word of each line in its place (only the line breaks differ).
    for field, answer in LONG_ANSWERS.items():
        assert without_spaces(answer) in printed, field
    for answer in ("São Paulo", "Ana Souza", "Ricardo Nunes, Mayor", "Head of Migrant Policy",
                   PLEDGE_ANSWERS["expected_results"], PLEDGE_ANSWERS["progress_measures"]):
        assert without_spaces(answer) in printed, answer
    for screen_only in ("Skip to main content", "Public register", "Coordinators: sign in",
                        "Print your answers", "Back to your pledge's page", "Français"):
        assert without_spaces(screen_only) not in printed, screen_only
    # A row shorter than a sheet is never split across two: its label and whole answer are on
    # one sheet.
    for label, answer in (("Title", LONG_ANSWERS["title"]), ("Summary", LONG_ANSWERS["summary"]),
                          ("Details of the support sought", LONG_ANSWERS["support_details"])):
        row = without_spaces(label + answer)
        assert any(row in without_spaces(text) for text in pages), label
    # No sheet ends on a section's heading: a heading stays with what follows it.
    for text in pages[:-1]:
        last_line = [line.strip() for line in text.splitlines() if line.strip()][-1]
        assert last_line not in SECTION_HEADINGS, last_line


@pytest.mark.parametrize("javascript", [True, False],
                         ids=["with_javascript", "without_javascript"])
def test_the_print_button_prints_and_without_javascript_the_browser_s_advice_shows(
        app, contact_factory, live_server, javascript):
    answers_page = live_server + tracker_path(app, sent_pledge(app)) + "/answers"
    city = contact_factory(javascript=javascript)
    page = city.page
    page.goto(answers_page)
    if not javascript:
        expect(page.locator("#print-button")).to_be_hidden()
        expect(page.locator("#print-advice")).to_contain_text("Ctrl+P")
        return
    expect(page.locator("#print-advice")).to_be_hidden()
    page.evaluate("() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; "
                  "}; }")
    page.get_by_role("button", name="Print your answers").click()
    assert page.evaluate("window.__printed") == 1


def test_a_city_goes_from_its_confirmation_to_its_pledge_and_its_answers_in_three_languages(
        contact_factory):
    city = contact_factory(javascript=True)
    page = city.page
    city.send_a_whole_pledge()
    reference = page.locator("#reference").inner_text()
    for language in ("en", "fr", "es"):
        page.goto("/pledge/confirmation")
        switch_language(page, language)
        expect(page.locator("#what-happens-next")).to_contain_text("5")
        assert axe_violations(page) == [], ("confirmation", language)

        page.locator("#follow-pledge").click()
        expect(page).to_have_url(re.compile(r"/track/[\w-]+$"))
        expect(page.locator("#tracker-status")).to_contain_text(reference)
        assert axe_violations(page) == [], ("tracker", language)

        page.locator("#answers-link").click()
        expect(page).to_have_url(re.compile(r"/track/[\w-]+/answers$"))
        expect(page.locator("#reference")).to_have_text(reference)
        expect(page.locator("#print-button")).to_be_visible()
        assert axe_violations(page) == [], ("answers", language)

    # From the confirmation straight to the answers, too.
    page.goto("/pledge/confirmation")
    page.locator("#view-answers").click()
    expect(page).to_have_url(re.compile(r"/track/[\w-]+/answers$"))
    expect(page.locator("html")).to_have_attribute("lang", "es")
