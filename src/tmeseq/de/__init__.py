"""Differential expression that agrees with R DESeq2.

PyDESeq2's defaults drift from R DESeq2 1.38 at several steps (dispersion trend, prior
variance, the dispersion optimiser, standard errors of genes with near-zero counts, the
independent-filtering smoother). This package keeps PyDESeq2's data structure and interface
but runs R's algorithm at each of those steps, so that results can be checked against R
(``validation/compare_with_r.py``).

Public names
------------
DESettings
    Fit and test options, R's defaults.
fit_model
    One model fit per design (R ``DESeq()``).
contrast_results
    The Wald test of one contrast (R ``results()``).
RCompatInference
    The PyDESeq2 ``Inference`` implementation with R's routines.
independent_filtering
    R's independent filtering of p-values on the mean count.
"""

from tmeseq.de.filtering import FilterResult, independent_filtering
from tmeseq.de.fit import DESettings, contrast_results, fit_model
from tmeseq.de.inference import RCompatInference

__all__ = [
    "DESettings",
    "FilterResult",
    "RCompatInference",
    "contrast_results",
    "fit_model",
    "independent_filtering",
]
