"""wordlab serve in a real browser: headless Chromium drives search → neighbours → analogy → map →
generate (tokens stream in) → translate (heat-map drawn), and saves a screenshot
(``WORDLAB_SERVE_SCREENSHOT=docs/serve.png`` refreshes the README's).

Needs Debian's ``chromium`` and ``chromium-driver``; under ``CI=true`` a missing browser fails the test,
elsewhere it is skipped with the reason. Nothing is downloaded (Selenium is pointed at the system driver).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("WORDLAB_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("WORDLAB_CHROMEDRIVER", "/usr/bin/chromedriver")
# the README's docs/serve.png is refreshed with WORDLAB_SERVE_SCREENSHOT=docs/serve.png (else a temporary file)
SCREENSHOT_ENV = "WORDLAB_SERVE_SCREENSHOT"


def _missing() -> str | None:
    for mod in ("fastapi", "uvicorn", "selenium"):
        try:
            __import__(mod)
        except ImportError:
            return f"python package {mod} is not installed (pip install '.[test]')"
    for exe in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
            return f"{exe} not found (apt-get install chromium chromium-driver)"
    return None


def _need_browser() -> None:
    why = _missing()
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser test cannot run under CI: {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    from serve_fixtures import cached, running_server, write_vectors
    from wordlab.serve import create_app

    d = tmp_path_factory.mktemp("browser")
    vectors, _ = write_vectors(d)
    app = create_app([vectors, cached("lm", d), cached("translator", d)])
    with running_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,800",
              "--force-device-scale-factor=1"):
        opts.add_argument(a)
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_window_size(1280, 800)
    yield drv
    drv.quit()


def test_search_analogy_map_generate_translate_in_chromium(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    css = lambda sel: browser.find_elements(By.CSS_SELECTOR, sel)  # noqa: E731
    browser.get(server + "/")
    wait.until(lambda b: "vecs (vectors)" in b.find_element(By.ID, "status").text)

    # search with the keyboard: type, completion offered from the vocabulary, Enter
    box = browser.find_element(By.ID, "search")
    box.send_keys("kin")
    wait.until(lambda b: "king" in [o.get_attribute("value") for o in css("#completions option")])
    box.send_keys("g", Keys.ENTER)
    wait.until(lambda b: len(css("#neighbours li")) == 10)
    first = css("#neighbours li")[0]
    assert float(first.find_element(By.CSS_SELECTOR, ".val").text) > 0
    assert first.find_element(By.CSS_SELECTOR, ".bar").size["width"] > 0

    # analogy: man : king :: woman : ? → queen (planted in the vectors)
    for k, w in zip("abc", ("man", "king", "woman")):
        browser.find_element(By.ID, f"analogy-{k}").send_keys(w)
    browser.find_element(By.ID, "analogy-go").click()
    wait.until(lambda b: css("#analogy-result li"))
    assert css("#analogy-result li .word")[0].text == "queen"

    # map: drawn, the analogy words highlighted, zoom with the keyboard
    browser.find_element(By.ID, "map-go").click()
    wait.until(lambda b: b.find_element(By.ID, "map").get_attribute("data-drawn") == "205")
    browser.find_element(By.ID, "map").send_keys("+")
    inked = browser.execute_script(
        "const c=document.getElementById('map'), d=c.getContext('2d').getImageData(0,0,c.width,c.height).data;"
        "let n=0; for (let i=3;i<d.length;i+=4) if (d[i]) n++; return n;")
    assert inked > 100

    # generation: tokens appear one by one while the stream is open
    browser.find_element(By.ID, "gen-prompt").send_keys("the king")
    gen_max = browser.find_element(By.ID, "gen-max")
    gen_max.clear()
    gen_max.send_keys("30")
    browser.find_element(By.ID, "gen-go").click()
    wait.until(lambda b: len(css("#gen-output .token")) >= 1)
    wait.until(lambda b: b.find_element(By.ID, "gen-go").is_enabled())
    assert 1 <= len(css("#gen-output .token")) <= 30
    assert "generated" in browser.find_element(By.ID, "status").text

    # translation with its attention heat-map
    browser.find_element(By.ID, "tr-text").send_keys("a i j", Keys.ENTER)
    wait.until(lambda b: css("#heatmap rect.cell"))
    assert len(css("#heatmap rect.cell")) >= 2 and browser.find_element(By.ID, "tr-output").text

    # training curves of the LM (its history.json)
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "hist-model")).select_by_value("lm")
    wait.until(lambda b: css("#curves polyline"))

    # the whole page at 1280 wide: the window is made as tall as the document for the screenshot
    browser.execute_script("window.scrollTo(0, 0)")
    height = browser.execute_script("return document.documentElement.scrollHeight")
    chrome = browser.execute_script("return window.outerHeight - window.innerHeight")
    browser.set_window_size(1280, height + chrome)
    shot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "serve.png")
    shot.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    # phone width: one column, nothing wider than the screen
    browser.set_window_size(390, 844)
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    browser.set_window_size(1280, 800)
