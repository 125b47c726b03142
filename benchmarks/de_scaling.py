"""Benchmark: time and peak memory of the DE fit as a cohort grows.

Simulates negative-binomial cohorts (two arms, two batches, ``--genes`` genes) of each size in
``--samples``, fits ``~ batch + arm`` once and tests one contrast, each size in a fresh
process so that peak memory is that size's own. Prints a table; nothing is asserted (the
numbers guide the rules' ``mem_mb``/``runtime`` and users' cluster requests).

    python3 -m benchmarks.de_scaling --samples 12 48 96 --genes 20000 --threads 2

Run it from the repository's root: the simulator is test tooling (``tests/simulate.py``), not
part of the installed package.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tests.helpers import de_settings
from tests.simulate import effects_for, simulate_counts
from tmeseq.de import Engine, contrast_results, fit_model
from tmeseq.samplesheet import covariates

REPO = Path(__file__).resolve().parents[1]


def one_run(n_samples: int, n_genes: int, threads: int) -> dict[str, float]:
    """Simulate, fit and test one cohort; return seconds and peak RSS (MB)."""
    sheet = pd.DataFrame(
        {
            "sample": [f"s{i:04d}" for i in range(n_samples)],
            "arm": np.where(np.arange(n_samples) < n_samples // 2, "ctrl", "trt"),
            "batch": np.where(np.arange(n_samples) % 2 == 0, "b1", "b2"),
        }
    ).set_index("sample", drop=False)
    genes = [f"g{i:06d}" for i in range(n_genes)]
    effects = effects_for(sheet, "arm", "trt", genes[: n_genes // 20], 1.0)
    counts = simulate_counts(genes, sheet, effects, seed=1).T
    contrast = {"name": "trt_vs_ctrl", "variable": "arm", "test": "trt", "reference": "ctrl"}
    settings = de_settings("~ batch + arm", [contrast])
    metadata = covariates(sheet, references=settings.model.references).drop(columns="sample")
    started = time.perf_counter()
    model = fit_model(counts, metadata, settings.model, Engine(n_workers=threads))
    fitted = time.perf_counter()
    results = contrast_results(model, settings.model.contrasts[0], settings.test)
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "samples": n_samples,
        "genes": n_genes,
        "fit_s": round(fitted - started, 2),
        "test_s": round(done - fitted, 2),
        "peak_rss_mb": round(peak_mb, 0),
        "significant": int((results["padj"] < settings.test.alpha).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[12, 48, 96])
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.samples[0], args.genes, args.threads)))
        return
    rows = []
    for n in args.samples:
        command = [
            sys.executable,
            "-m",
            "benchmarks.de_scaling",
            "--one",
            "--samples",
            str(n),
            "--genes",
            str(args.genes),
            "--threads",
            str(args.threads),
        ]
        run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
        output = run.stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
