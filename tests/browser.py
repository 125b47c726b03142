"""A small headless-Chromium harness for the tests of ``report.html`` (Selenium, no network).

:func:`browser_session` starts Debian's ``chromium`` through ``chromedriver`` with performance
and browser logging on, and yields a :class:`Browser` that opens local HTML files and records
what the page did:

- every network request the page sent (Chrome DevTools ``Network.requestWillBeSent`` events
  from the performance log): recorded, so a test can assert that a report asked for nothing but
  its own file. Chromium is also started with background networking off, so the browser itself
  contacts nothing while the tests run;
- every console error (browser log entries of level ``SEVERE``: ``console.error``, uncaught
  exceptions, resources that failed to load);
- the page's load time from the Navigation Timing API.

When ``chromium`` or ``chromedriver`` is missing, :func:`browser_session` skips the test with
the missing path in the reason, or fails it when ``TMESEQ_REQUIRE_BROWSER=1`` (set by
``.ci/run``), like :func:`tests.helpers.skip_or_fail`. A test module gets a browser with a
fixture of its own::

    @pytest.fixture(scope="module")
    def browser() -> Iterator[Browser]:
        with browser_session() as session:
            yield session
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's ``chromium`` (package ``chromium``)."""
CHROMEDRIVER = Path("/usr/bin/chromedriver")
"""Debian's ``chromedriver`` (package ``chromium-driver``), the same version as the browser."""
REQUIRE_BROWSER = "TMESEQ_REQUIRE_BROWSER"
"""Environment switch: ``1`` makes a missing Chromium or chromedriver a failure, not a skip."""
WINDOW = (1280, 900)
"""Viewport size (CSS pixels, scale factor 1) unless a session asks for another: layouts and
screenshots are the same from run to run."""

OPTIONS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    # nothing but the page: no component updates, sync, metrics or other background traffic
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
)
"""Chromium's command-line options besides the window size."""

NOT_FETCHED = ("data:", "blob:", "about:")
"""URL schemes whose content is in the page itself: listed in :attr:`Browser.requests` when
Chromium reports them (it does for larger inline images), never counted as network
requests."""


def browser_missing() -> str | None:
    """What is missing to drive Chromium (the paths not found), or None if nothing is."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if importlib.util.find_spec("selenium") is None:
        absent.append("the Python package selenium (pip install -e '.[dev]')")
    if not absent:
        return None
    return (
        f"headless Chromium unavailable: missing {', '.join(absent)} "
        "(apt-get install chromium chromium-driver)"
    )


@dataclass(frozen=True)
class ConsoleEntry:
    """One browser log entry: ``level`` (``SEVERE``, ``WARNING``, ``INFO``), ``source``
    (``console-api``, ``javascript``, ``network``...) and the message Chromium wrote."""

    level: str
    source: str
    message: str


class Browser:
    """One headless Chromium window; :meth:`open` a local file, then inspect the page.

    Everything recorded (:attr:`requests`, :attr:`console`) belongs to the page opened last:
    :meth:`open` starts a fresh record.
    """

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.url = ""
        self._requests: list[str] = []
        self._console: list[ConsoleEntry] = []

    # -- opening and recording -----------------------------------------------------------

    def open(self, path: Path) -> None:
        """Load the HTML file ``path`` and wait for its load event to finish."""
        self._drain()
        self._requests.clear()
        self._console.clear()
        self.url = path.resolve().as_uri()
        self.driver.get(self.url)
        self.load_time()

    def _drain(self) -> None:
        """Move the log entries Chromium holds into this page's record (reading empties them)."""
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self._requests.append(message["params"]["request"]["url"])
        for entry in self.driver.get_log("browser"):
            self._console.append(
                ConsoleEntry(entry["level"], entry.get("source", ""), entry["message"])
            )

    @property
    def requests(self) -> list[str]:
        """Every URL the page requested, in order, its own file included."""
        self._drain()
        return list(self._requests)

    @property
    def network_requests(self) -> list[str]:
        """The requests for anything but the page's own file (``data:`` URLs excepted: their
        content is inline). A self-contained page has none."""
        return [
            url for url in self.requests if url != self.url and not url.startswith(NOT_FETCHED)
        ]

    @property
    def console(self) -> list[ConsoleEntry]:
        """Every browser log entry of the page so far."""
        self._drain()
        return list(self._console)

    @property
    def console_errors(self) -> list[str]:
        """The messages of the page's ``SEVERE`` log entries (errors, failed loads)."""
        return [entry.message for entry in self.console if entry.level == "SEVERE"]

    # -- timing --------------------------------------------------------------------------

    def load_time(self, timeout: float = 60.0) -> float:
        """Seconds from the start of navigation to the end of the load event (Navigation
        Timing), waiting up to ``timeout`` seconds for the load event to end."""
        script = (
            "const n = performance.getEntriesByType('navigation')[0];"
            "return n ? n.loadEventEnd - n.startTime : 0;"
        )
        deadline = time.monotonic() + timeout
        while True:
            elapsed_ms = float(self.driver.execute_script(script))
            if elapsed_ms > 0:
                return elapsed_ms / 1000
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.url}: load event did not end within {timeout} s")
            time.sleep(0.05)

    # -- reading and acting --------------------------------------------------------------

    def find(self, css: str) -> Any:
        """The first element matching the CSS selector ``css`` (NoSuchElementException if
        none)."""
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str, within: Any = None) -> list[Any]:
        """Every element matching ``css``, in document order (inside ``within`` if given)."""
        from selenium.webdriver.common.by import By

        return list((within or self.driver).find_elements(By.CSS_SELECTOR, css))

    def click(self, css: str) -> None:
        """Scroll the first element matching ``css`` into view and click it."""
        element = self.find(css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def text(self, css: str = "body") -> str:
        """The rendered text of the first element matching ``css`` (``textContent``, so
        hidden and collapsed parts count too)."""
        return str(self.find(css).get_attribute("textContent"))

    def texts(self, css: str, within: Any = None) -> list[str]:
        """The stripped ``textContent`` of every element matching ``css``."""
        return [
            str(element.get_attribute("textContent")).strip()
            for element in self.find_all(css, within)
        ]

    def alert_text(self) -> str | None:
        """The text of an open JavaScript dialog (alert, confirm, prompt), or None."""
        from selenium.common.exceptions import NoAlertPresentException

        try:
            return str(self.driver.switch_to.alert.text)
        except NoAlertPresentException:
            return None

    def screenshot(self, path: Path) -> None:
        """Save a PNG of the window's viewport to ``path``."""
        if not self.driver.save_screenshot(str(path)):
            raise OSError(f"could not write the screenshot {path}")


def start_browser(window: tuple[int, int] = WINDOW) -> Browser:
    """Start headless Chromium at ``window`` (width, height). The caller quits it
    (``browser.driver.quit()``); tests use :func:`browser_session`, which does."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for option in (*OPTIONS, f"--window-size={window[0]},{window[1]}"):
        options.add_argument(option)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    # a driver path given to the Service: Selenium Manager (which may download) never runs
    service = Service(executable_path=str(CHROMEDRIVER), log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(service=service, options=options)
    # the window size counts the (invisible) browser frame: fix the page's viewport itself
    metrics = {"width": window[0], "height": window[1], "deviceScaleFactor": 1, "mobile": False}
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    except BaseException:
        driver.quit()
        raise
    return Browser(driver)


@contextmanager
def browser_session(window: tuple[int, int] = WINDOW) -> Iterator[Browser]:
    """A headless Chromium for the duration of the ``with`` block, quit afterwards.

    Skips the running test when Chromium, chromedriver or selenium is missing, or fails it
    when ``TMESEQ_REQUIRE_BROWSER=1``.
    """
    missing = browser_missing()
    if missing is not None:
        skip_or_fail(missing, REQUIRE_BROWSER)
    browser = start_browser(window)
    try:
        yield browser
    finally:
        browser.driver.quit()
