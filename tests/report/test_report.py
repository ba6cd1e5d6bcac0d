import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from outage_signal import report
from outage_signal.cli import cli
from outage_signal.config import load_config
from outage_signal.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def built(demo_run, tmp_path_factory):
    path = demo_run[0]
    out = tmp_path_factory.mktemp("report")
    with Store(path) as store:
        index = report.report(store, load_config(), out, since="2026-09-09T00:00:00+00:00",
                              until="2026-09-13T00:00:00+00:00")
    return index


def test_report_has_plots_and_incident_table(built):
    page = built.read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 6 and all((built.parent / i).stat().st_size > 10_000 for i in images)
    assert 'id="incidents"' in page and page.count("<tr>") > 4
    assert "http://" not in page and "https://" not in page.replace("https://www.reddit.com", "")


def test_status_rows_and_json(demo_run):
    result = CliRunner().invoke(cli, ["--db", str(demo_run[0]), "status", "--json"])
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == len(load_config().services)
    chatgpt = next(r for r in rows if r["service"] == "chatgpt")
    assert chatgpt["expected_authors_last_hour"] is not None and chatgpt["last_official"]
    assert "alarm_bar" not in chatgpt  # the alarm memory it showed is gone (issue 15)


def test_plot_command(demo_run, tmp_path):
    out = tmp_path / "github.png"
    result = CliRunner().invoke(cli, ["--db", str(demo_run[0]), "plot", "github", "--since", "2026-09-16",
                                      "--until", "2026-09-17", "--out", str(out)])
    assert result.exit_code == 0 and out.read_bytes()[:4] == b"\x89PNG"
    assert CliRunner().invoke(cli, ["--db", str(demo_run[0]), "plot", "nosuch"]).exit_code == 1


@pytest.mark.slow  # starts a browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(built, tmp_path):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    url = built.resolve().as_uri()
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert 'id="incidents"' in dom
    loaded = re.findall(r'<img[^>]*data-loaded="(\w+)"', dom)
    assert loaded and set(loaded) == {"yes"}, loaded
    shot = Path(__file__).resolve().parents[2] / "report-screenshot.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1280,2400", url],
                   capture_output=True, timeout=120)
    assert shot.stat().st_size > 50_000


def test_only_web_addresses_become_links(demo_run, tmp_path):
    db = tmp_path / "demo.db"
    shutil.copy(demo_run[0], db)
    with Store(db) as store:  # a post's url is whatever its source sent
        store.conn.execute("UPDATE posts SET url = CASE WHEN rowid % 2 THEN 'javascript:alert(2)'"
                           " ELSE 'HTTPS://example.org/' || rowid END")
        store.conn.commit()
    result = CliRunner().invoke(cli, ["--db", str(db), "report", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "out" / "index.html").read_text()
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith("HTTPS://example.org/") for h in hrefs)
    assert "javascript:" not in page


def test_report_header_shows_the_real_window(demo_run, tmp_path):
    with Store(demo_run[0]) as store:
        first, last = store.first_post_minute(), store.last_post_minute()
        page = report.report(store, load_config(), tmp_path, service="github").read_text()
    assert f"Window: {first[:10]} {first[11:16]} to\n{last[:10]} {last[11:16]} (UTC)" in page
    with Store(demo_run[0]) as store:
        page = report.report(store, load_config(), tmp_path, since="2026-09-09T00:00:00+00:00", service="github").read_text()
    assert f"Window: 2026-09-09 00:00 to\n{last[:10]} {last[11:16]} (UTC)" in page
