"""The HTML report in a real browser (Debian's chromium, headless, driven through its
chromedriver by selenium): at a phone's 390 px and a desktop's 1280 px no element is wider
than the screen and nothing scrolls sideways; on the phone the plan is one column of cards
and every figure fills the width. `make test` installs chromium and chromium-driver
(tools/ensure-system-packages.sh); without them this test fails, it is never skipped."""

from __future__ import annotations

import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from recovery_scenarios import HISTORIES, TODAY, write_history

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# chromium as this machine (a container, no GPU, no display, no network to spare) runs it
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars")
WIDTHS = (390, 1280)

OVERFLOWING = """
const width = document.documentElement.clientWidth, out = [];
for (const e of document.querySelectorAll('body *')) {
  const r = e.getBoundingClientRect();
  if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5))
    out.push(`${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
}
return out;
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    for path in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(path), f"{path} is missing: run tools/ensure-system-packages.sh as root"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + (f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    """The report of a busy week: a step-back behind, a plan the rules change on most days,
    every figure drawn."""
    from stridepod.cli import main

    tmp = tmp_path_factory.mktemp("browser-report")
    files = write_history(tmp / "in", **HISTORIES["after a step-back"][0]())
    db = tmp / "runner.db"
    main(["--db", str(db), "--quiet", "import", *map(str, files)])
    main(["--db", str(db), "--quiet", "report", "--date", str(TODAY), "-o", str(tmp / "out")])
    return tmp / "out" / "report.html"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_element_is_wider_than_the_screen(browser, report_page, width):
    browser.set_window_size(width, 900)
    browser.get(report_page.as_uri())
    assert browser.execute_script("return window.innerWidth") == width
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    assert browser.execute_script(OVERFLOWING) == []
    images = browser.execute_script(
        "return [...document.images].map(i => [i.closest('figure').id, i.naturalWidth, "
        "i.getBoundingClientRect().width])")
    assert {name for name, _, _ in images} == {"fig-hrv", "fig-rhr", "fig-sleep", "fig-load", "fig-gait"}
    assert all(natural > 0 for _, natural, _ in images)  # every figure decoded
    cards = browser.execute_script(
        "return [...document.querySelectorAll('#plan .card')].map(c => c.getBoundingClientRect().left)")
    assert len(cards) == 7
    if width == 390:
        assert len(set(cards)) == 1  # stacked: one column of day cards
        assert all(shown >= 300 for _, _, shown in images)  # each figure across the phone
    else:
        assert len(set(cards)) > 1  # the desktop lays the days side by side


def test_the_plan_cards_name_their_reasons_and_the_reasons_follow_once(browser, report_page):
    browser.set_window_size(390, 900)
    browser.get(report_page.as_uri())
    text = browser.execute_script("return document.body.innerText")
    plan = text[text.index("The next 7 days"):text.index("Fitness, fatigue and form")]
    assert "Why the plan changed" in plan
    assert plan.count("why: ") >= 3
    for reason in browser.execute_script(
            "return [...document.querySelectorAll('#plan ~ .reason strong')].map(e => e.innerText)"):
        assert plan.count(f"{reason}: ") == 1  # each reason written once, under the cards
