"""Compare tmeseq's DE layer (and PyDESeq2's defaults) with R DESeq2 on public datasets.

Runs, on the same counts and design:

* R DESeq2 (``validation/r_deseq2/run_deseq2.R``: ``DESeq()`` then ``results(contrast,
  alpha)``, no pre-filtering, no shrinkage), which also writes its intermediate values;
* tmeseq (:func:`tmeseq.de.fit_model` + :func:`tmeseq.de.contrast_results`);
* PyDESeq2 0.5.4 with its defaults (``DeseqDataSet.deseq2()`` + ``DeseqStats.summary()``),

and prints the agreement of each Python side with R: Spearman correlation of the log2 fold
changes and of ``-log10(pvalue)``, the number of genes with ``padj < alpha`` on each side and
the Jaccard index of those sets, then the intermediate values side by side (size factors,
dispersion trend, prior variance, gene-wise/final dispersions, filtering threshold).

The exit status is 1 when tmeseq misses an acceptance threshold (LFC Spearman >= 0.999,
-log10 p Spearman >= 0.995, Jaccard >= 0.97), 2 when R or DESeq2 is missing.

Usage::

    python validation/compare_with_r.py --dataset all --out results/r_parity
    python validation/compare_with_r.py --dataset pasilla --out /tmp/pasilla --no-pydeseq2

Data are read from ``../shared/validation/`` next to the repository.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from scipy.stats import spearmanr
from threadpoolctl import threadpool_limits

from tmeseq.de import DEModel, Engine, contrast_results, fit_model
from tmeseq.samplesheet import covariates
from tmeseq.settings import Contrast, DEModelSettings, DETestSettings

REPO = Path(__file__).resolve().parents[1]
#: The real datasets ship with the tests (tests/data/<name>/SOURCE.md: origin and licence).
DATA = REPO / "tests" / "data"
R_SCRIPT = REPO / "validation" / "r_deseq2" / "run_deseq2.R"
ALPHA = 0.05
THRESHOLDS = {"lfc_spearman": 0.999, "logp_spearman": 0.995, "jaccard": 0.97}


@dataclass(frozen=True)
class Dataset:
    """One validation dataset: files, design and contrast."""

    name: str
    counts: Path
    metadata: Path
    design: str
    contrast: list[str]


DATASETS = {
    "airway": Dataset(
        "airway",
        DATA / "airway" / "airway_cts.tsv.gz",
        DATA / "airway" / "airway_metadata.tsv",
        "~ cell + dex",
        ["dex", "trt", "untrt"],
    ),
    "pasilla": Dataset(
        "pasilla",
        DATA / "pasilla" / "pasilla_cts.tsv",
        DATA / "pasilla" / "pasilla_metadata.tsv",
        "~ type + condition",
        ["condition", "treated", "untreated"],
    ),
}


@dataclass
class Side:
    """Results of one implementation on one dataset."""

    name: str
    results: pd.DataFrame
    seconds: float
    genes: pd.DataFrame = field(default_factory=pd.DataFrame)
    size_factors: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    summary: dict[str, object] = field(default_factory=dict)


def load(dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts (samples x genes) and metadata (samples x covariates, as strings)."""
    counts = pd.read_csv(dataset.counts, sep="\t", index_col=0)
    metadata = pd.read_csv(dataset.metadata, sep="\t", index_col=0, dtype=str)
    metadata = metadata.loc[metadata.index.notna()].loc[counts.columns]
    return counts.T, metadata


def r_available() -> bool:
    """Whether ``Rscript`` runs and can load DESeq2."""
    if shutil.which("Rscript") is None:
        return False
    check = subprocess.run(
        ["Rscript", "-e", "suppressMessages(library(DESeq2))"],
        capture_output=True,
        check=False,
    )
    return check.returncode == 0


def run_r(dataset: Dataset, out: Path) -> Side:
    """Run the R script and read back its results and intermediates."""
    out.mkdir(parents=True, exist_ok=True)
    command = [
        "Rscript",
        str(R_SCRIPT),
        f"--counts={dataset.counts}",
        f"--metadata={dataset.metadata}",
        f"--design={dataset.design}",
        f"--contrast={','.join(dataset.contrast)}",
        f"--alpha={ALPHA}",
        f"--out={out}",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return Side(
        "R DESeq2",
        pd.read_csv(out / "results.tsv", sep="\t", index_col=0),
        seconds,
        genes=pd.read_csv(out / "genes.tsv", sep="\t", index_col=0),
        size_factors=pd.read_csv(out / "size_factors.tsv", sep="\t", index_col=0)["size_factor"],
        summary=json.loads((out / "summary.json").read_text()),
    )


def tmeseq_settings(dataset: Dataset) -> tuple[DEModelSettings, DETestSettings]:
    """R DESeq2's defaults (those of the schema too), with this script's alpha."""
    variable, test, reference = dataset.contrast
    contrast = Contrast("comparison", variable=variable, test=test, reference=reference)
    model = DEModelSettings(
        design=dataset.design,
        categorical=(),
        contrasts=(contrast,),
        prefilter_min_count=0,
        prefilter_min_samples=None,
        size_factors="ratio",
        fit_type="parametric",
        refit_cooks=True,
        min_replicates=7,
    )
    test_settings = DETestSettings(
        alpha=ALPHA,
        cooks_filter=True,
        independent_filter=True,
        lfc_threshold=0.0,
        alt_hypothesis="greaterAbs",
        shrink=False,
    )
    return model, test_settings


def run_tmeseq(dataset: Dataset, threads: int) -> tuple[Side, DEModel]:
    """tmeseq's fit and test."""
    counts, metadata = load(dataset)
    model_settings, test_settings = tmeseq_settings(dataset)
    # factor levels in sorted order, as the R script codes them (same model, same coding)
    typed = covariates(metadata)
    started = time.perf_counter()
    model = fit_model(counts, typed, model_settings, Engine(n_workers=threads))
    results = contrast_results(model, model_settings.contrasts[0], test_settings)
    side = Side("tmeseq", results, time.perf_counter() - started)
    side.summary = {"filter_threshold": results.attrs.get("filter_threshold")}
    return side, model


def run_pydeseq2(dataset: Dataset, threads: int) -> tuple[Side, DeseqDataSet]:
    """PyDESeq2 0.5.4 with its defaults."""
    counts, metadata = load(dataset)
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        inference = DefaultInference(n_cpus=threads)
        dds = DeseqDataSet(
            counts=counts,
            metadata=metadata,
            design=dataset.design,
            inference=inference,
            n_cpus=threads,
            quiet=True,
        )
        dds.deseq2()
        stats = DeseqStats(
            dds,
            contrast=dataset.contrast,
            alpha=ALPHA,
            inference=inference,
            n_cpus=threads,
            quiet=True,
        )
        stats.summary()
    side = Side("PyDESeq2 defaults", stats.results_df.copy(), time.perf_counter() - started)
    tested = stats.results_df["padj"].notna()
    side.summary = {"filter_threshold": float(stats.base_mean[tested].min())}
    return side, dds


# -- agreement --------------------------------------------------------------------------------


def _spearman(a: pd.Series, b: pd.Series) -> float:
    both = a.notna() & b.notna() & np.isfinite(a) & np.isfinite(b)
    return float(spearmanr(a[both], b[both])[0])


def _neg_log10(p: pd.Series) -> pd.Series:
    return -np.log10(p.clip(lower=1e-300))


def agreement(r: pd.DataFrame, other: pd.DataFrame, alpha: float = ALPHA) -> dict[str, float]:
    """Agreement of a results table with R's on the same genes."""
    other = other.reindex(r.index)
    sig_r = set(r.index[r["padj"] < alpha])
    sig_o = set(other.index[other["padj"] < alpha])
    union = sig_r | sig_o
    return {
        "lfc_spearman": _spearman(r["log2FoldChange"], other["log2FoldChange"]),
        "logp_spearman": _spearman(_neg_log10(r["pvalue"]), _neg_log10(other["pvalue"])),
        "n_sig_r": len(sig_r),
        "n_sig_other": len(sig_o),
        "jaccard": len(sig_r & sig_o) / len(union) if union else 1.0,
    }


def _within(a: pd.Series, b: pd.Series, tolerance: float = 0.01) -> float:
    both = a.notna() & b.notna()
    return float((np.abs(a[both] / b[both] - 1) < tolerance).mean())


def intermediates(r: Side, fitted: DEModel | DeseqDataSet) -> dict[str, object]:
    """Intermediate values of a fit (tmeseq's model or PyDESeq2's dataset) next to R's."""
    genes = r.genes
    is_model = isinstance(fitted, DEModel)
    values = _model_values(fitted) if is_model else _pydeseq2_values(fitted)  # type: ignore[arg-type]
    var = values["var"].reindex(genes.index)
    sf = values["size_factors"].reindex(r.size_factors.index)
    coefs = r.summary.get("trend_coefficients") or {}
    outliers = var["outlier"].astype("boolean")
    nonzero = ~genes["allZero"].astype(bool)
    return {
        "size_factor_max_rel_diff": float(np.max(np.abs(sf / r.size_factors - 1))),
        "trend_r": [coefs.get("asymptDisp"), coefs.get("extraPois")],
        "trend_py": values["trend"],
        "prior_var_r": r.summary.get("disp_prior_var"),
        "prior_var_py": values["prior_var"],
        "genewise_within_1pct": _within(var["genewise"], genes["dispGeneEst"]),
        "fitted_within_1pct": _within(var["fitted"], genes["dispFit"]),
        "final_within_1pct": _within(var["final"], genes["dispersion"]),
        "outlier_agreement": float(
            (outliers[nonzero].fillna(False) == genes["dispOutlier"][nonzero].astype(bool)).mean()
        ),
    }


def _model_values(model: DEModel) -> dict[str, Any]:
    var = pd.DataFrame(
        {
            "genewise": model.genewise_dispersions,
            "fitted": model.fitted_dispersions,
            "final": model.dispersions,
            "outlier": model.dispersion_outlier,
        },
        index=model.genes,
    )
    trend = model.trend
    return {
        "var": var,
        "size_factors": pd.Series(model.size_factors, index=model.samples),
        "trend": [trend.asympt_disp, trend.extra_pois] if trend.kind == "parametric" else None,
        "prior_var": model.prior_dispersion_variance,
    }


def _pydeseq2_values(dds: DeseqDataSet) -> dict[str, Any]:
    columns = {
        "genewise_dispersions": "genewise",
        "fitted_dispersions": "fitted",
        "dispersions": "final",
        "_outlier_genes": "outlier",
    }
    trend = dds.uns.get("trend_coeffs")
    return {
        "var": dds.var[list(columns)].rename(columns=columns),
        "size_factors": dds.obs["size_factors"],
        "trend": None if trend is None else [float(trend["a0"]), float(trend["a1"])],
        "prior_var": float(np.asarray(dds.uns["prior_disp_var"])),
    }


# -- report -----------------------------------------------------------------------------------


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.5g}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def print_report(
    dataset: Dataset, r: Side, sides: list[tuple[Side, DeseqDataSet]]
) -> dict[str, dict[str, object]]:
    """Print agreement and intermediates for each Python side; return them."""
    print(f"\n=== {dataset.name}: design '{dataset.design}', contrast {dataset.contrast}")
    print(
        f"R DESeq2 {r.summary.get('deseq2_version')}: {r.seconds:.1f} s (Rscript, incl. start-up)"
    )
    report: dict[str, dict[str, object]] = {}
    for side, dds in sides:
        figures = agreement(r.results, side.results)
        figures.update(intermediates(r, dds))
        figures["filter_threshold_r"] = r.summary.get("filter_threshold")
        figures["filter_threshold_py"] = side.summary.get("filter_threshold")
        figures["seconds"] = side.seconds
        report[side.name] = figures
        print(f"-- {side.name}: {side.seconds:.1f} s")
        for key, value in figures.items():
            print(f"   {key:26s} {_fmt(value)}")
    return report


def passes(figures: dict[str, object]) -> bool:
    """Whether a side meets every acceptance threshold."""
    return all(float(figures[key]) >= limit for key, limit in THRESHOLDS.items())  # type: ignore[arg-type]


def compare(
    name: str, out: Path, threads: int, with_pydeseq2: bool = True
) -> dict[str, dict[str, object]]:
    """Run R, tmeseq and (optionally) PyDESeq2 on one dataset and report the agreement."""
    dataset = DATASETS[name]
    r = run_r(dataset, out / name / "r")
    sides = [run_tmeseq(dataset, threads)]
    if with_pydeseq2:
        sides.append(run_pydeseq2(dataset, threads))
    report = print_report(dataset, r, sides)
    for side, _ in sides:
        side.results.to_csv(out / name / f"results_{side.name.split()[0].lower()}.tsv", sep="\t")
    (out / name / "agreement.json").write_text(json.dumps(report, indent=2, default=str))
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=[*DATASETS, "all"], default="all")
    parser.add_argument("--out", type=Path, required=True, help="folder for R and Python outputs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-pydeseq2", action="store_true", help="skip the PyDESeq2 run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not r_available():
        print("Rscript with DESeq2 is not available", file=sys.stderr)
        return 2
    names = list(DATASETS) if args.dataset == "all" else [args.dataset]
    ok = True
    for name in names:
        report = compare(name, args.out, args.threads, not args.no_pydeseq2)
        verdict = passes(report["tmeseq"])
        ok &= verdict
        print(f"   tmeseq acceptance on {name}: {'PASS' if verdict else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
