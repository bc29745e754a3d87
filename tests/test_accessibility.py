"""axe-core finds no accessibility violation on any page, light or dark. axe is
injected by the test browser only (run.sh installs it into tests/.axe with npm);
the site never serves it. A page to check is one line in PAGES."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.conftest import ROOT

AXE = ROOT / "tests" / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
# (name, address on the demo archive server)
PAGES = [
    ("landing", "/"),
    ("grouped results with facets", "/?q=flood"),
    ("results filtered, newest first", "/?q=bridge&in=reports&type=md&sort=date"),
    ("one document's passages", "/?q=pumps"),
    ("passage by passage", "/?q=weir&group=passage"),
    ("document", "/doc/reports/2014/flood-survey.md?q=flood#p3"),
    ("help", "/help"),
    ("status", "/status"),
    ("error: bad query", "/?q=*"),
    ("error: not found", "/no/such/page"),
]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("name", "path"), PAGES, ids=[name for name, _ in PAGES])
def test_no_axe_violations(demo_server, browser: Browser, name: str, path: str, scheme: str):
    assert AXE.exists(), "axe-core is missing: `./run.sh test` installs it with npm"
    # Our CSP allows no inline script; axe arrives as one, in tests only.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(demo_server.url + path)
        page.add_script_tag(path=str(AXE))
        found = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    finally:
        context.close()
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in found["violations"]
    ]
    assert violations == [], f"{name}, {scheme}"
