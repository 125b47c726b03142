"""Building DE settings and fits in tests: R DESeq2's defaults (the schema's, alpha R's 0.1)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from tmeseq.de import DEModel, Engine, contrast_results, fit_model
from tmeseq.settings import Contrast, DEModelSettings, DETestSettings

R_MODEL = {
    "categorical": (),
    "contrasts": (),
    "prefilter_min_count": 0,
    "prefilter_min_samples": None,
    "size_factors": "ratio",
    "fit_type": "parametric",
    "refit_cooks": True,
    "min_replicates": 7,
}
R_TEST = {
    "alpha": 0.1,
    "cooks_filter": True,
    "independent_filter": True,
    "lfc_threshold": 0.0,
    "alt_hypothesis": "greaterAbs",
    "shrink": False,
}


def r_model_settings(design: str, **options: Any) -> DEModelSettings:
    """Fit settings for ``design``: R's defaults with ``options`` replaced."""
    return DEModelSettings(design=design, **{**R_MODEL, **options})  # type: ignore[arg-type]


def r_test_settings(**options: Any) -> DETestSettings:
    """Test settings: R's defaults with ``options`` replaced."""
    return DETestSettings(**{**R_TEST, **options})


def levels(variable: str, test: str, reference: str) -> Contrast:
    """A level contrast named ``<test>_vs_<reference>``."""
    return Contrast(f"{test}_vs_{reference}", variable=variable, test=test, reference=reference)


def fit(
    counts: pd.DataFrame, metadata: pd.DataFrame, design: str, workers: int = 1, **options: Any
) -> DEModel:
    """``fit_model`` with R's defaults and ``options``."""
    return fit_model(counts, metadata, r_model_settings(design, **options), Engine(workers))


def results(
    model: DEModel, contrast: list[str] | np.ndarray | Contrast, **options: Any
) -> pd.DataFrame:
    """``contrast_results`` with R's defaults and ``options``; a list is a level contrast."""
    if isinstance(contrast, list):
        contrast = levels(*contrast)
    return contrast_results(model, contrast, r_test_settings(**options))


def with_options(settings: DETestSettings, **options: Any) -> DETestSettings:
    """A copy of ``settings`` with ``options`` replaced."""
    return dataclasses.replace(settings, **options)
