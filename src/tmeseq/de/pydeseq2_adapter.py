"""The one place tmeseq calls PyDESeq2: its iterative size-factor estimator.

R DESeq2's ``estimateSizeFactorsIterate`` (``sfType = "iterative"``, for data where every
gene has a zero) is not reimplemented in tmeseq; PyDESeq2's implementation of it is used
through PyDESeq2's public API (``DeseqDataSet`` and ``fit_size_factors``), and only the
size factors are read back. Everything else in the DE layer is tmeseq's own code.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet


def iterative_size_factors(counts: np.ndarray, metadata: pd.DataFrame, design: str) -> np.ndarray:
    """Size factors by PyDESeq2's iterative estimator.

    Parameters
    ----------
    counts : numpy.ndarray
        Raw counts, samples x genes.
    metadata : pandas.DataFrame
        Covariates of the design, one row per sample.
    design : str
        The design formula the iteration fits.

    Returns
    -------
    numpy.ndarray
        One size factor per sample.
    """
    index = [str(i) for i in range(counts.shape[0])]
    frame = pd.DataFrame(
        np.asarray(counts, dtype=np.int64),
        index=index,
        columns=[f"g{j}" for j in range(counts.shape[1])],
    )
    with warnings.catch_warnings():
        # PyDESeq2 announces that it uses the iterative method; that is the request here.
        warnings.filterwarnings("ignore", category=UserWarning, module="pydeseq2")
        dataset = DeseqDataSet(
            counts=frame,
            metadata=metadata.set_axis(index),
            design=design,
            n_cpus=1,
            quiet=True,
        )
        dataset.fit_size_factors(fit_type="iterative")
    return dataset.obs["size_factors"].to_numpy(dtype=float)
