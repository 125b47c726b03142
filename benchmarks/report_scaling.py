"""Benchmark: build time, size and Chromium load time of ``report.html`` for a large cohort.

Simulates a mouse cohort (``--samples`` samples x ``--genes`` genes, three arms with the
example's planted biology, two batches; ``tests/simulate.py``), runs the workflow once up to
every input of the report (timed, for reference), then runs the ``report`` rule alone
(``--forcerun report``; timed as the wall time of that Snakemake call, start-up included, and
as the step's own time from its log, with the call's peak memory), and opens the report in
headless Chromium (``tests/browser.py``): load time (Navigation Timing, start of navigation to
the end of the load event, median of three loads), network requests and console errors.
Prints one table with the machine (cores, memory, CPU), then the report's bytes per section
and per kind of content. Nothing is asserted: issue 9's targets at 1,000 samples (built in
under 2 minutes on 2 cores, under 15 MB, open in under 5 s) are printed beside the numbers.

    python3 -m benchmarks.report_scaling --samples 1000 --genes 20000 --cores 2

Run it from the repository's root: the simulator and the browser harness are test tooling.
``--workdir DIR`` keeps the cohort and its results in DIR, and a second call with the same
DIR reuses them (only the report is rebuilt); without it everything goes to a temporary
folder that is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tests.browser import browser_missing, start_browser
from tests.e2e.runner import snakemake_command
from tests.simulate import (
    ARMS,
    BATCHES,
    MARKER_MIN_MEAN,
    batch_truth,
    combine_effects,
    draw_base_means,
    effects_for,
    example_genes,
    plant_truth,
    simulate_counts,
)
from tmeseq.genesets import read_hallmarks, read_signatures, signatures_path

REPO = Path(__file__).resolve().parents[1]
COHORT = "scaling"
TARGETS = {"build_s": 120.0, "size_mb": 15.0, "load_s": 5.0}
"""Issue 9's limits at 1,000 samples."""
LOADS = 3
"""Times the report is opened; the load time is their median (the machine may be busy)."""

# Runs a command and prints the peak resident memory of its biggest process (MB) as JSON.
MEASURE = (
    "import json, resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps({'returncode': code, 'peak_mb': peak}))\n"
)

# Bytes (UTF-8) of each top-level part of the report (an element with an id, not inside
# another), and of the kinds of content across them, measured in the page itself.
SECTION_BYTES = """
const size = (text) => new TextEncoder().encode(text).length;
const parts = {};
for (const el of document.querySelectorAll('[id]')) {
  if (el.parentElement && el.parentElement.closest('[id]')) continue;
  parts['#' + el.id] = size(el.outerHTML);
}
const total = (elements, part) => [...elements].reduce((n, e) => n + size(part(e)), 0);
const within = {
  'PNG images (data: URIs)': total(document.images, (i) => i.getAttribute('src') || ''),
  'inline SVG figures': total(document.querySelectorAll('svg'), (e) => e.outerHTML),
  'table rows': total(document.querySelectorAll('tbody tr'), (e) => e.outerHTML),
  'scripts and styles': total(document.querySelectorAll('script, style'), (e) => e.outerHTML),
};
return [parts, within];
"""


def simulate_cohort(root: Path, n_samples: int, n_genes: int, seed: int) -> None:
    """Write ``counts.tsv``, ``samples.tsv`` and ``config.yaml`` of a simulated cohort."""
    hallmarks = read_hallmarks("mouse")
    signatures = read_signatures(signatures_path(), "mouse")
    design_rng = np.random.default_rng(seed)
    index = np.arange(n_samples)
    sheet = pd.DataFrame(
        {
            "sample": [f"s{i:04d}" for i in index],
            "arm": [ARMS[i % len(ARMS)] for i in index],
            "batch": [BATCHES[(i // len(ARMS)) % len(BATCHES)] for i in index],
        }
    )
    genes = example_genes(hallmarks, signatures, n_genes)
    truth = plant_truth(hallmarks, signatures, design_rng)
    batches = batch_truth(genes, design_rng)
    markers = {gene for gene_set in signatures.sets for gene in gene_set.genes}
    base = draw_base_means(len(genes), design_rng)
    base = np.where([gene in markers for gene in genes], np.maximum(base, MARKER_MIN_MEAN), base)
    effects = [
        effects_for(sheet, "arm", arm, planted["gene"].tolist(), planted["log2_effect"].to_numpy())
        for arm, planted in truth.groupby("arm", sort=False)
    ]
    effects.append(
        effects_for(
            sheet, "batch", BATCHES[1], batches["gene"].tolist(), batches["log2_effect"].to_numpy()
        )
    )
    counts = simulate_counts(
        genes, sheet, combine_effects(*effects), seed=seed + 1, base_mean=base
    )
    counts.to_csv(root / "counts.tsv", sep="\t")
    sheet.to_csv(root / "samples.tsv", sep="\t", index=False)
    contrasts = [
        {
            "name": f"{arm.lower()}_vs_{ARMS[0]}",
            "variable": "arm",
            "test": arm,
            "reference": ARMS[0],
        }
        for arm in ARMS[1:]
    ]
    config = {
        "cohort": COHORT,
        "species": "mouse",
        "samples": "samples.tsv",
        "counts": {"path": "counts.tsv", "format": "matrix"},
        "qc": {"colour_by": "arm", "shape_by": "batch"},
        "de": {"design": "~ batch + arm", "contrasts": contrasts},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake(workdir: Path, cores: int, *args: str) -> dict[str, float]:
    """Run the workflow on ``workdir`` with further arguments ``args`` (options, targets);
    wall seconds and peak memory (MB) of the run."""
    command = snakemake_command(workdir, "--quiet", *args, cores=cores)
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    measured = json.loads(run.stdout.strip().splitlines()[-1]) if run.stdout.strip() else {}
    if measured.get("returncode") != 0:
        raise RuntimeError(f"snakemake {' '.join(args)} failed:\n{run.stderr[-5000:]}")
    return {"seconds": seconds, "peak_mb": float(measured["peak_mb"])}


def open_in_chromium(report: Path) -> tuple[dict[str, float], list[dict[str, int]]]:
    """Load time (median and slowest of :data:`LOADS` loads), requests and console errors of
    ``report``; its bytes per section and per kind of content."""
    missing = browser_missing()
    if missing is not None:
        raise SystemExit(missing)
    browser = start_browser()
    try:
        times = []
        for _ in range(LOADS):
            browser.open(report)
            times.append(browser.load_time())
        opened = {
            "load_s": float(np.median(times)),
            "load_max_s": max(times),
            "requests": float(len(browser.network_requests)),
            "console_errors": float(len(browser.console_errors)),
        }
        parts = browser.driver.execute_script(SECTION_BYTES)
    finally:
        browser.driver.quit()
    return opened, [{str(key): int(value) for key, value in part.items()} for part in parts]


def machine() -> dict[str, object]:
    """Cores available to this process, total memory and the CPU model."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = models[0] if models else cpu
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory_gb, 1),
        "cpu": cpu,
        "python": platform.python_version(),
    }


def run(workdir: Path, n_samples: int, n_genes: int, cores: int, seed: int) -> None:
    """Simulate (unless ``workdir`` holds the cohort), build, open; print the tables."""
    started = time.perf_counter()
    reused = (workdir / "config.yaml").exists()
    if not reused:
        simulate_cohort(workdir, n_samples, n_genes, seed)
    simulated = time.perf_counter() - started
    path = workdir / "results" / COHORT / "report.html"
    upstream = snakemake(workdir, cores, "--omit-from", "report")
    target = str(path.relative_to(workdir))
    report = snakemake(workdir, cores, "--forcerun", "report", "--", target)
    opened, (sections, within) = open_in_chromium(path)
    counts = pd.read_csv(workdir / "counts.tsv", sep="\t", usecols=[0])
    row = {
        "samples": len(pd.read_csv(workdir / "samples.tsv", sep="\t")),
        "genes": len(counts),
        "contrasts": len(yaml.safe_load((workdir / "config.yaml").read_text())["de"]["contrasts"]),
        "upstream_s": round(upstream["seconds"], 1),
        "build_s": round(report["seconds"], 1),
        "step_s": step_seconds(workdir / "results" / COHORT / "logs" / "report.log"),
        "build_peak_mb": round(report["peak_mb"]),
        "size_mb": round(path.stat().st_size / 1e6, 2),
        "load_s": round(opened["load_s"], 2),
        "load_max_s": round(opened["load_max_s"], 2),
        "requests": int(opened["requests"]),
        "console_errors": int(opened["console_errors"]),
        **machine(),
    }
    pd.set_option("display.width", 250)
    print(pd.DataFrame([row]).to_string(index=False))
    if reused:
        print(f"(cohort and upstream results reused from {workdir}: upstream_s is this call's)")
    else:
        print(f"(simulated in {simulated:.0f} s; upstream_s: every stage before the report)")
    print(
        "build_s: the Snakemake call running the report rule alone (start-up and DAG included); "
        "step_s: the report step itself (its log)"
    )
    limits = ", ".join(f"{key} < {value:g}" for key, value in TARGETS.items())
    print(f"targets (issue 9): {limits}")
    for title, part in (("by section", sections), ("by content, across sections", within)):
        table = pd.Series(part, name="bytes").sort_values(ascending=False).to_frame()
        print(f"\nreport bytes {title}:")
        print(table.assign(mb=(table["bytes"] / 1e6).round(3)).to_string())


def step_seconds(log: Path) -> float | None:
    """The report step's own time, from the ``built in <s> s`` line of its log (None if the
    log has no such line)."""
    if not log.exists():
        return None
    found = re.findall(r"built in ([0-9.]+) s", log.read_text())
    return float(found[-1]) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument(
        "--workdir", type=Path, help="keep (and reuse) the cohort and its results here"
    )
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        run(args.workdir.resolve(), args.samples, args.genes, args.cores, args.seed)
        return
    workdir = Path(tempfile.mkdtemp(prefix="tmeseq-report-scaling-"))
    try:
        run(workdir, args.samples, args.genes, args.cores, args.seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
