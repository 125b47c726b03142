"""Workflow steps ``de_plots`` (per contrast) and ``de_dispersions`` (per fit)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import anndata as ad
import matplotlib
import pandas as pd


def run(
    table: str | Path,
    contrast: str,
    outputs: Mapping[str, str | Path],
    *,
    alpha: float,
    n_labels: int,
) -> None:
    """Volcano, MA and p-value histogram of one contrast's result table."""
    matplotlib.use("Agg")
    from tmeseq.plots import de as plots

    results = pd.read_csv(table, sep="\t", keep_default_na=False, na_values=["NA"])
    results["symbol"] = results["symbol"].astype(str)
    plots.plot_volcano(
        results,
        outputs["volcano"],
        alpha=alpha,
        title=f"{contrast}: volcano plot",
        n_labels=n_labels,
    )
    plots.plot_ma(
        results, outputs["ma"], alpha=alpha, title=f"{contrast}: MA plot", n_labels=n_labels
    )
    plots.plot_pvalue_histogram(
        results, outputs["pvalues"], title=f"{contrast}: p-value distribution"
    )


def run_dispersions(model: str | Path, output: str | Path) -> None:
    """DESeq2-style dispersion plot of the fitted model."""
    matplotlib.use("Agg")
    from tmeseq.plots import de as plots

    fitted = ad.read_h5ad(model)
    var = fitted.var[fitted.var["tested"].astype(bool)]
    design = fitted.uns["de"]["design"]
    plots.plot_dispersions(var, output, title=f"Dispersion estimates ({design})")
