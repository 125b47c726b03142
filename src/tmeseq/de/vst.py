"""Variance-stabilising transformation from a fitted model's dispersion trend.

DESeq2's ``vst(blind = FALSE)`` transforms normalised counts with the closed form that
follows from the model's dispersion-mean trend, so arm differences are not shrunk away as
they are by a blind transform. The later stages (scores) use this design-aware layer.
"""

from __future__ import annotations

import numpy as np


def vst_parametric(normed: np.ndarray, asympt_disp: float, extra_pois: float) -> np.ndarray:
    """VST for the parametric trend ``dispersion = asympt_disp + extra_pois / mean``.

    Parameters
    ----------
    normed : numpy.ndarray
        Size-factor-normalised counts (any shape).
    asympt_disp, extra_pois : float
        The trend's coefficients (DESeq2's ``asymptDisp`` and ``extraPois``).

    Returns
    -------
    numpy.ndarray
        Values on a log2-like scale, same shape as ``normed``.
    """
    q = np.asarray(normed, dtype=np.float64)
    inner = 1 + extra_pois + 2 * asympt_disp * q
    root = 2 * np.sqrt(asympt_disp * q * (1 + extra_pois + asympt_disp * q))
    return np.log2((inner + root) / (4 * asympt_disp))


def vst_mean(normed: np.ndarray, mean_disp: float) -> np.ndarray:
    """VST for a constant dispersion (DESeq2's ``fitType = "mean"``).

    Parameters
    ----------
    normed : numpy.ndarray
        Size-factor-normalised counts.
    mean_disp : float
        The mean dispersion.

    Returns
    -------
    numpy.ndarray
        Values on a log2-like scale.
    """
    q = np.asarray(normed, dtype=np.float64)
    return (2 * np.arcsinh(np.sqrt(mean_disp * q)) - np.log(mean_disp) - np.log(4)) / np.log(2)
