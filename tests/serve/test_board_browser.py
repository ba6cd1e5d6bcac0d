"""The board as a person sees it: `outage-signal serve` over the demo database, driven in headless Chromium."""
from pathlib import Path

import pytest

from outage_signal.config import load_config
from outage_signal.store import Store

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; .ci/run installs it. No browser is ever downloaded.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.slow,  # starts a server and a browser
              pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium "
                                                               "(.ci/run installs it as root)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: pip install -e '.[test]'")


def test_board_incident_page_and_phone_in_headless_chromium(demo_run, start_serve, tmp_path):
    served = start_serve(demo_run[0])
    config = load_config()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(served.url + "/")

        # Every catalog service has its card, in catalog order (nothing is open at the demo's end).
        names = page.locator("article.card h2 a").all_inner_texts()
        assert names == [service.name or key for key, service in config.services.items()]
        assert "No data since 2026-09-20 23:59 UTC" in page.locator("#now-note").inner_text()
        # ChatGPT's chart: six hours of minutes, some above zero, the band drawn, laid out on the page.
        chart = page.locator("#service-chatgpt svg")
        assert chart.get_attribute("data-points") == "360" and int(chart.get_attribute("data-peak")) > 0
        heights = [float(point.split(",")[1]) for point in
                   page.locator("#service-chatgpt polyline.counts").get_attribute("points").split()]
        assert len(heights) == 360 and min(heights) < 150  # 150 is the chart's bottom: a minute with complaints
        assert page.locator("#service-chatgpt polygon.band").count() == 1
        assert chart.bounding_box()["width"] > 300
        page.screenshot(path=tmp_path / "board.png", full_page=True)

        # The newest incident in the table opens its page, with its chart and sample posts.
        link = page.locator("table.incidents a.incident-link").first
        incident_url = link.get_attribute("href")
        link.click()
        page.wait_for_url(served.url + incident_url)
        with Store(demo_run[0], readonly=True) as store:
            newest = store.incidents()[-1]
        name = config.services[newest["service"]].name or newest["service"]
        title = f"{name}: outage of {newest['opened_at'][:16].replace('T', ' ')}"
        assert incident_url == f"/incidents/{newest['id']}"
        assert page.locator("#incident h1").inner_text().startswith(title)
        assert int(page.locator("#incident svg").get_attribute("data-peak")) > 0
        assert page.locator("#incident rect.incident").count() == 1
        assert page.locator("ul.posts li").count() > 0
        page.screenshot(path=tmp_path / "incident.png", full_page=True)
        # Nothing came from anywhere but the server itself.
        assert requested and all(url.startswith(served.url + "/") for url in requested), requested

        # On a phone: one column, nothing wider than the screen.
        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
        phone.goto(served.url + "/")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        boxes = [card.bounding_box() for card in phone.locator("article.card").all()[:2]]
        assert boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"] - 1  # stacked, not side by side
        phone.screenshot(path=tmp_path / "phone.png", full_page=True)
        browser.close()
    assert all((tmp_path / name).stat().st_size > 20_000 for name in ("board.png", "incident.png", "phone.png"))
