"""The headless-Chromium harness (tests/browser.py) on tiny handmade pages: it records every
request, collects console errors, times the load, clicks and reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import REQUIRE_BROWSER, Browser, browser_missing, browser_session
from tests.helpers import required

# A port nothing listens on (and Chromium refuses to connect to): the request is made and
# recorded, no traffic leaves the machine.
UNUSED = "http://127.0.0.1:9/x.png"
# A 1x1 transparent GIF, inline.
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with browser_session() as session:
        yield session


def page(tmp_path: Path, body: str, name: str = "page.html", head: str = "") -> Path:
    """An HTML5 file in ``tmp_path`` with ``body`` (and more of the ``head``)."""
    path = tmp_path / name
    path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8">{head}<title>t</title></head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return path


def test_an_external_image_is_recorded_as_one_request(browser: Browser, tmp_path: Path) -> None:
    path = page(tmp_path, f'<p>image</p><img src="{UNUSED}">')
    browser.open(path)
    assert browser.requests == [path.resolve().as_uri(), UNUSED]
    assert browser.network_requests == [UNUSED]


def test_a_request_a_content_security_policy_blocks_is_still_recorded(
    browser: Browser, tmp_path: Path
) -> None:
    # the report forbids requests with a CSP; the harness must still see any it attempts
    csp = "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'\">"
    browser.open(page(tmp_path, f'<img src="{UNUSED}">', head=csp))
    assert browser.network_requests == [UNUSED]
    errors = browser.console_errors
    assert len(errors) == 1 and "violates the following Content Security Policy" in errors[0]


def test_a_console_error_is_reported(browser: Browser, tmp_path: Path) -> None:
    browser.open(page(tmp_path, '<script>console.error("boom " + (1 + 1));</script>'))
    errors = browser.console_errors
    assert len(errors) == 1
    assert '"boom 2"' in errors[0]
    assert browser.network_requests == []


def test_an_uncaught_exception_is_a_console_error(browser: Browser, tmp_path: Path) -> None:
    browser.open(page(tmp_path, "<script>undefinedFunction();</script>"))
    errors = browser.console_errors
    assert len(errors) == 1 and "undefinedFunction is not defined" in errors[0]


def test_a_clean_page_reports_nothing(browser: Browser, tmp_path: Path) -> None:
    body = f'<h1 id="t">Clean</h1><img src="{PIXEL}" alt=""><script>console.log("fine");</script>'
    path = page(tmp_path, body)
    browser.open(path)
    assert browser.console_errors == []
    assert browser.network_requests == []
    assert browser.requests[0] == path.resolve().as_uri()
    # the console.log is recorded, but it is no error
    assert [entry.level for entry in browser.console] == ["INFO"]
    assert browser.text("#t") == "Clean"
    assert 0 < browser.load_time() < 10


def test_each_page_starts_a_fresh_record(browser: Browser, tmp_path: Path) -> None:
    browser.open(
        page(tmp_path, f'<img src="{UNUSED}"><script>console.error("x")</script>', "a.html")
    )
    assert browser.network_requests and browser.console_errors
    clean = page(tmp_path, "<p>clean</p>", "b.html")
    browser.open(clean)
    assert browser.requests == [clean.resolve().as_uri()]
    assert browser.console_errors == []


def test_a_request_made_after_a_click_is_recorded(browser: Browser, tmp_path: Path) -> None:
    script = (
        "document.getElementById('b').addEventListener('click', () => {"
        f"  const i = new Image(); i.src = '{UNUSED}?late';"
        "  document.getElementById('out').textContent = 'clicked';"
        "});"
    )
    browser.open(
        page(tmp_path, f'<button id="b">go</button><p id="out">idle</p><script>{script}</script>')
    )
    assert browser.network_requests == []
    browser.click("#b")
    assert browser.text("#out") == "clicked"
    assert browser.network_requests == [f"{UNUSED}?late"]


def test_an_alert_is_seen_and_no_alert_is_none(browser: Browser, tmp_path: Path) -> None:
    browser.open(page(tmp_path, "<p>quiet</p>"))
    assert browser.alert_text() is None
    browser.open(page(tmp_path, "<button id='b' onclick='alert(\"hi\")'>b</button>", "c.html"))
    browser.click("#b")
    assert browser.alert_text() == "hi"
    browser.driver.switch_to.alert.dismiss()
    assert browser.alert_text() is None


def test_texts_reads_every_match_in_order(browser: Browser, tmp_path: Path) -> None:
    browser.open(page(tmp_path, "<ul><li> a </li><li>b &amp; c</li><li>&lt;d&gt;</li></ul>"))
    assert browser.texts("li") == ["a", "b & c", "<d>"]


def test_screenshot_is_a_png_of_the_window(browser: Browser, tmp_path: Path) -> None:
    browser.open(page(tmp_path, "<p>shot</p>"))
    out = tmp_path / "shot.png"
    browser.screenshot(out)
    header = out.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(header[16:20], "big")
    height = int.from_bytes(header[20:24], "big")
    assert (width, height) == (1280, 900)


def test_missing_browser_is_named_and_required_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.browser as harness

    monkeypatch.setattr(harness, "CHROMIUM", Path("/nonexistent/chromium"))
    reason = browser_missing()
    assert reason is not None and "/nonexistent/chromium" in reason
    monkeypatch.setenv(REQUIRE_BROWSER, "1")
    assert required(REQUIRE_BROWSER)
    failed = pytest.raises(pytest.fail.Exception, match="TMESEQ_REQUIRE_BROWSER=1 requires it")
    with failed, harness.browser_session():
        pass
    monkeypatch.setenv(REQUIRE_BROWSER, "0")
    with (
        pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium"),
        harness.browser_session(),
    ):
        pass
