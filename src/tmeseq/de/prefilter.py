"""The pre-filter of lowly counted genes (DESeq2 vignette's rule).

A gene is kept when it has at least ``min_count`` reads in at least ``min_samples`` samples;
by default ``min_samples`` is the size of the smallest group among the levels of the
contrasts' variables, so a gene expressed in one arm only is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import anndata as ad
import numpy as np
import pandas as pd

from tmeseq.samplesheet import covariates, sheet_from_obs
from tmeseq.settings import Contrast, DEModelSettings

logger = logging.getLogger(__name__)


def smallest_group(metadata: pd.DataFrame, contrasts: Sequence[Contrast]) -> int:
    """Size of the smallest group among the levels of the contrasts' variables.

    Contrasts given as coefficient combinations name no variable; when no contrast names
    one, every factor column of ``metadata`` counts.
    """
    variables = {str(c.variable) for c in contrasts if c.is_levels}
    if not variables:
        variables = {
            c for c in metadata.columns if isinstance(metadata[c].dtype, pd.CategoricalDtype)
        }
    sizes = [int(n) for v in variables for n in metadata[v].value_counts() if n > 0]
    return min(sizes) if sizes else len(metadata)


def keep_genes(counts: np.ndarray, min_count: int, min_samples: int) -> np.ndarray:
    """Boolean mask of genes (columns of ``counts``, samples x genes) passing the filter."""
    if min_count <= 0:
        return np.ones(counts.shape[1], dtype=bool)
    passing = np.asarray(counts >= min_count).sum(axis=0) >= min_samples
    logger.info(
        "Pre-filter: %d of %d genes have >= %d reads in >= %d samples and are tested",
        int(passing.sum()),
        counts.shape[1],
        min_count,
        min_samples,
    )
    return passing


def prefilter_mask(imported: ad.AnnData, settings: DEModelSettings) -> np.ndarray:
    """The genes the DE fit tests (boolean mask over ``imported.var``): at least
    ``prefilter_min_count`` reads in at least ``prefilter_min_samples`` samples, by default the
    smallest group of the contrasts' variables. Rule ``de_fit`` fits these genes and rule
    ``check_gene_sets`` counts a signature gene as expressed only if it is one of them."""
    typed = covariates(sheet_from_obs(imported.obs), settings.categorical, settings.references)
    min_samples = settings.prefilter_min_samples or smallest_group(typed, settings.contrasts)
    return keep_genes(np.asarray(imported.X), settings.prefilter_min_count, int(min_samples))
