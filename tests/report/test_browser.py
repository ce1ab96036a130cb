"""The dashboard in a real browser (Debian's Chromium driven by Playwright) over a simulated
month: it loads with no console error and no request leaving 127.0.0.1, each chart has its
marks, hovering a bar tells its round and values, models toggle, labels never overlap, the
700 px layout has no horizontal scroll, and the page refreshes when the ledger changes.

Chromium cannot be downloaded here: the test uses the system's (``apt-get install chromium``,
which ``.ci/run`` does) and is skipped, saying so, where it is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from numerpilot.agent import Ledger
from tests.report.conftest import Served
from tests.report.month import MODELS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,  # a browser start and a dozen page loads: about half a minute
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no system Chromium (apt-get install chromium); .ci/run installs it",
    ),
]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REFRESH_SECONDS = 1  # the served page refetches itself every second (see conftest.served)
WAIT_MS = 20_000


@dataclass
class Watched:
    """A page and everything it said and asked for since it opened."""

    page: object
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser: object, served: Served, width: int) -> Watched:
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    watched = Watched(page)
    page.on("console", lambda m: watched.console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: watched.console.append(f"pageerror: {e}"))
    page.on("request", lambda r: watched.requests.append(r.url))
    page.goto(served.url, wait_until="load")
    return watched


def _marks(page: object, chart: str) -> int:
    return int(page.locator(f'svg[data-chart="{chart}"] .mark').count())  # type: ignore[attr-defined]


def test_loads_offline_with_every_mark(browser: object, served: Served) -> None:
    watched = _open(browser, served, 1400)
    page = watched.page
    month = served.project.month
    scored = {m: len(month.scored[m]) for m in MODELS}
    for chart in ("cum-corr", "cum-mmc", "cum-payout", "drawdown", "percentile"):
        assert _marks(page, chart) == sum(scored.values()), chart
    for i, model in enumerate(MODELS):
        assert _marks(page, f"bars-{i}") == 2 * scored[model]
        assert _marks(page, f"stake-{i}") == month.stakes[model]
    assert _marks(page, "timeline") == len(MODELS) * len(month.rounds)
    page.wait_for_timeout(100)  # let late console messages arrive
    assert [m for m in watched.console if m.startswith(("error", "pageerror"))] == []
    hosts = {urlparse(u).hostname for u in watched.requests}
    assert hosts == {"127.0.0.1"}, watched.requests
    page.close()


def test_hovering_a_bar_shows_its_round_and_values(browser: object, served: Served) -> None:
    page = _open(browser, served, 1400).page
    first = served.project.month.scored[MODELS[0]][0]
    bar = page.locator('svg[data-chart="bars-0"] .mark').first
    bar.hover()
    tip = page.locator("#tip")
    tip.wait_for(state="visible", timeout=WAIT_MS)
    text = tip.inner_text()
    assert f"round {first}" in text and ("CORR +" in text or "CORR -" in text)
    assert "MMC" in text and "NMR" in text
    page.mouse.move(2, 2)
    tip.wait_for(state="hidden", timeout=WAIT_MS)
    page.close()


def test_a_model_toggles_off_and_on(browser: object, served: Served) -> None:
    page = _open(browser, served, 1400).page
    lines = page.locator('svg[data-chart="cum-corr"] polyline[data-model="m1"]')
    assert lines.first.is_visible()
    chip = page.locator('button[data-toggle="m1"]').first
    chip.click()
    assert not lines.first.is_visible() and chip.get_attribute("aria-pressed") == "false"
    other = page.locator('svg[data-chart="cum-corr"] polyline[data-model="m0"]').first
    assert other.is_visible()
    chip.click()
    assert lines.first.is_visible()
    page.close()


OVERLAPS = """
() => {
  const found = [];
  for (const svg of document.querySelectorAll('svg')) {
    const boxes = [...svg.querySelectorAll('text')]
      .map(t => [t.textContent, t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [ta, a] = boxes[i], [tb, b] = boxes[j];
      if (a.width && b.width && a.left < b.right - 0.5 && b.left < a.right - 0.5
          && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
        found.push(`${svg.dataset.chart || svg.getAttribute('aria-label')}: ${ta} / ${tb}`);
    }
  }
  return found;
}
"""


@pytest.mark.parametrize("width", [700, 1400])
def test_no_horizontal_scroll_and_no_colliding_labels(
    browser: object, served: Served, width: int
) -> None:
    page = _open(browser, served, width).page
    scroll = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert scroll[0] <= scroll[1], f"page is {scroll[0]} px wide in a {scroll[1]} px window"
    assert page.evaluate(OVERLAPS) == []
    page.close()


def test_the_page_refreshes_when_the_ledger_changes(browser: object, served: Served) -> None:
    """Last in this module: it adds a round to the month's ledger."""
    page = _open(browser, served, 1400).page
    project = served.project
    cells = len(MODELS) * len(project.month.rounds)
    assert _marks(page, "timeline") == cells
    with Ledger.open(project.settings, project.clock) as ledger:
        last = max(ledger.rounds(), key=lambda r: r.number)
        day = timedelta(days=1)
        ledger.record_round(last.number + 1, last.open_time + day, last.close_time + day)
    grown = cells + len(MODELS)
    page.wait_for_function(
        f"document.querySelectorAll('svg[data-chart=\"timeline\"] .mark').length === {grown}",
        timeout=WAIT_MS,
    )
    page.close()
