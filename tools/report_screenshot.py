"""Regenerate ``docs/report_top.png``: the top of the example cohort's report, as a reader sees
it in a browser (headless Chromium, fixed viewport), for the README's first screen.

    python3 -m tools.report_screenshot                      # build the example, then shoot
    python3 -m tools.report_screenshot --report some/report.html --out shot.png

Run it from the repository's root (the browser harness is ``tests/browser.py``). Without
``--report`` it runs the workflow on the bundled example (``results/example/report.html``,
the README's first command; Snakemake only redoes what is out of date) with
``SOURCE_DATE_EPOCH`` set, so the report's one timestamp, and with it the picture, is the same
from run to run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from tests.browser import browser_missing, start_browser
from tests.e2e.runner import snakemake_command
from tmeseq.report.images import compact_png

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_REPORT = Path("results", "example", "report.html")
OUT = Path("docs", "report_top.png")
VIEWPORT = (1280, 900)
"""Width and height of the picture (CSS pixels at scale 1): the first screen of a laptop."""
EPOCH = "1767225600"
"""``SOURCE_DATE_EPOCH`` for the example's build (2026-01-01 00:00 UTC)."""


def build_example(cores: int) -> Path:
    """Run the workflow on the bundled example up to its report; the report's path."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", EPOCH)}
    command = snakemake_command(
        REPO, "--quiet", "--", str(EXAMPLE_REPORT), cores=cores, configfile=False
    )
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        raise SystemExit(f"building the example's report failed:\n{run.stderr[-5000:]}")
    return REPO / EXAMPLE_REPORT


def screenshot(report: Path, out: Path, viewport: tuple[int, int] = VIEWPORT) -> None:
    """Open ``report`` headless at ``viewport`` and save the top of the page to ``out``."""
    missing = browser_missing()
    if missing is not None:
        raise SystemExit(missing)
    out.parent.mkdir(parents=True, exist_ok=True)
    browser = start_browser(viewport)
    try:
        browser.open(report)
        errors = browser.console_errors
        requests = browser.network_requests
        if errors or requests:
            raise SystemExit(f"{report}: console errors {errors}, network requests {requests}")
        browser.driver.execute_script("window.scrollTo(0, 0);")
        browser.screenshot(out)
    finally:
        browser.driver.quit()
    # a 256-colour palette, as the report's own figures: a third of the size in the repository
    out.write_bytes(compact_png(out.read_bytes()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="an existing report.html (default: build)")
    parser.add_argument("--out", type=Path, default=REPO / OUT, help=f"PNG (default: {OUT})")
    parser.add_argument("--cores", type=int, default=2)
    args = parser.parse_args()
    report = args.report if args.report is not None else build_example(args.cores)
    screenshot(report, args.out)
    print(f"{args.out}: top {VIEWPORT[0]}x{VIEWPORT[1]} of {report}")


if __name__ == "__main__":
    main()
