"""axe-core (from the npm registry, a development dependency: the app never serves it) run in
a browser page, as the accessibility checks of the browser tests."""
from pathlib import Path

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page):
    """Every WCAG violation axe-core finds on the page as it is now, as (rule id, help, the
    first offending element's HTML) triples: an empty list is a page with none. Needs a page
    with JavaScript on."""
    # Evaluated through the browser's developer protocol, which the app's Content Security
    # Policy (scripts from the app only) does not govern, as an injected script tag would be.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations = page.evaluate("""async () => (await axe.run(document, {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}
    })).violations""")
    return [(v["id"], v["help"], v["nodes"][0]["html"] if v["nodes"] else "")
            for v in violations]
