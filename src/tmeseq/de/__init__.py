"""Differential expression that agrees with R DESeq2, on a model tmeseq owns.

R DESeq2 1.38's algorithm is run step by step by tmeseq's own code (PyDESeq2's defaults
drift from R at several steps: dispersion trend, prior variance, dispersion optimiser,
standard errors of genes with near-zero counts, the independent-filtering smoother), so
results can be checked against R (``validation/compare_with_r.py``). PyDESeq2 is called in
one place only, :mod:`tmeseq.de.pydeseq2_adapter`, through its public API, for the iterative
size-factor estimator.

Public classes
--------------
:class:`~tmeseq.de.model.DEModel`
    A fitted model of one design (R ``DESeq()``'s ``DESeqDataSet``) for the tested genes:
    size factors; gene-wise, trend, MAP and final dispersions and the dispersion outliers;
    the dispersion trend, ``dispPriorVar`` and ``varLogDispEsts``; the coefficients
    (natural log) and their convergence; Cook's distances, the per-gene maximum, the
    cutoff and the filter flag; the genes whose outlier counts were replaced, refitted or
    became all-zero; the design matrix, the typed covariates and the fit options. It builds
    contrast vectors (:meth:`~tmeseq.de.model.DEModel.contrast_vector`, the one builder
    the DE, shrinkage and scores stages use) and the design-aware VST. Stored in
    ``de/model.h5ad`` by :func:`~tmeseq.de.model.model_to_anndata` and read back by
    :func:`~tmeseq.de.model.model_from_anndata`.
:class:`~tmeseq.de.model.DispersionTrend`
    The dispersion-mean trend (parametric or mean) and its closed-form VST.
:class:`~tmeseq.de.engine.Engine`
    R's per-gene routines (NB GLM by IRLS, gene-wise and MAP dispersions by R's line
    search, the parametric trend and prior variance, apeGLM MAP estimates), vectorised and
    run in blocks, in parallel with several workers. The fit, the QC blind VST and the
    shrinkage all run through it.
:class:`~tmeseq.de.fit.DispersionFit`
    The dispersion estimates of one fit (steps 2 to 5 of ``DESeq()``).
:class:`~tmeseq.de.apeglm.ApeglmFit`
    apeGLM MAP coefficients, posterior SDs and convergence per gene.
:class:`~tmeseq.de.filtering.FilterResult`
    R's independent filtering: adjusted p-values, threshold and quantile.

Public functions
----------------
:func:`~tmeseq.de.fit.fit_model`
    One model fit per design (R ``DESeq()``).
:func:`~tmeseq.de.results.contrast_results`
    The Wald test of one contrast (R ``results()``).
:func:`~tmeseq.de.shrinkage.shrink_contrast`
    apeGLM shrinkage of a level contrast (R ``lfcShrink(type = "apeglm")``).
:func:`~tmeseq.de.fit.fit_blind_trend`
    Size factors and trend of the intercept-only fit behind the blind VST.
"""

from tmeseq.de.engine import Engine
from tmeseq.de.filtering import FilterResult, independent_filtering
from tmeseq.de.fit import DispersionFit, fit_blind_trend, fit_model
from tmeseq.de.model import DEModel, DispersionTrend, model_from_anndata, model_to_anndata
from tmeseq.de.results import contrast_results
from tmeseq.de.shrinkage import shrink_contrast

__all__ = [
    "DEModel",
    "DispersionFit",
    "DispersionTrend",
    "Engine",
    "FilterResult",
    "contrast_results",
    "fit_blind_trend",
    "fit_model",
    "independent_filtering",
    "model_from_anndata",
    "model_to_anndata",
    "shrink_contrast",
]
