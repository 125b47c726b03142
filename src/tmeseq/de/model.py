"""The fitted DE model that tmeseq owns: :class:`DEModel` and its dispersion trend.

One :class:`DEModel` holds everything R DESeq2's ``DESeq()`` leaves in a ``DESeqDataSet``
for the genes that were tested: size factors, the four dispersion estimates and their trend,
the coefficients, Cook's distances and the outlier bookkeeping. The later stages read it
(the test of each contrast, the shrinkage, the design-aware VST, the scores), and it is
written to and read from ``de/model.h5ad`` with :func:`model_to_anndata` and
:func:`model_from_anndata` (plain AnnData fields, no private keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import anndata as ad
import numpy as np
import pandas as pd

from tmeseq import __version__
from tmeseq.de.vst import vst_mean, vst_parametric
from tmeseq.design import design_variables
from tmeseq.errors import InputError
from tmeseq.samplesheet import covariates, sheet_from_obs
from tmeseq.settings import Contrast

#: Per-gene fields of the model, stored as ``var`` columns of ``model.h5ad``.
GENE_FIELDS = (
    "base_mean",
    "genewise_dispersions",
    "fitted_dispersions",
    "map_dispersions",
    "dispersions",
    "dispersion_outlier",
    "converged",
    "max_cooks",
    "cooks_outlier",
    "replaced",
    "refitted",
    "now_zero",
)
#: ``var`` column names that differ from the field names (R's name for the mean count).
STORED_NAMES = {"base_mean": "baseMean"}
BOOL_FIELDS = frozenset(
    {"dispersion_outlier", "converged", "cooks_outlier", "replaced", "refitted", "now_zero"}
)


@dataclass(frozen=True)
class DispersionTrend:
    """The dispersion-mean trend (R ``dispersionFunction``).

    Attributes
    ----------
    kind : {"parametric", "mean"}
        ``parametric``: ``asympt_disp + extra_pois / mean``; ``mean``: a constant.
    asympt_disp, extra_pois : float
        Coefficients of the parametric trend (NaN for ``mean``).
    mean_disp : float
        The constant of the ``mean`` trend (NaN for ``parametric``).
    """

    kind: Literal["parametric", "mean"]
    asympt_disp: float = np.nan
    extra_pois: float = np.nan
    mean_disp: float = np.nan

    def __call__(self, means: np.ndarray) -> np.ndarray:
        """Trend dispersions at the given mean normalised counts."""
        means = np.asarray(means, dtype=float)
        if self.kind == "parametric":
            with np.errstate(divide="ignore"):
                return self.asympt_disp + self.extra_pois / means
        return np.full(means.shape, self.mean_disp)

    def vst(self, normed: np.ndarray) -> np.ndarray:
        """R's ``varianceStabilizingTransformation`` of normalised counts for this trend."""
        if self.kind == "parametric":
            return vst_parametric(normed, self.asympt_disp, self.extra_pois)
        return vst_mean(normed, self.mean_disp)

    def as_dict(self) -> dict[str, Any]:
        """Plain values for ``uns`` (NaN fields left out)."""
        values: dict[str, Any] = {"kind": self.kind}
        for name in ("asympt_disp", "extra_pois", "mean_disp"):
            if np.isfinite(getattr(self, name)):
                values[name] = float(getattr(self, name))
        return values


@dataclass(frozen=True, eq=False)
class DEModel:
    """A fitted DESeq2 model of one design (R ``DESeq()``), for the tested genes.

    Arrays over samples are indexed like ``samples``; arrays over genes like ``genes``;
    matrices are samples x genes unless stated otherwise. Coefficients are natural-log.

    Attributes
    ----------
    design_formula : str
        The design, e.g. ``"~ batch + arm"``.
    metadata : pandas.DataFrame
        The typed covariates the design was built from (factors as Categorical with the
        reference level first), indexed by sample.
    design : pandas.DataFrame
        The design matrix (samples x coefficients, formulaic's column names).
    counts : numpy.ndarray
        Raw counts of the tested genes (samples x genes, as given, not replaced).
    size_factors : numpy.ndarray
        Per sample.
    base_mean : numpy.ndarray
        Mean normalised count per gene (after outlier replacement; 0 for ``now_zero``).
    genewise_dispersions, fitted_dispersions, map_dispersions, dispersions : numpy.ndarray
        Gene-wise estimates, the trend's values, MAP estimates, and the final dispersions
        (the gene-wise value for dispersion outliers). NaN for genes with no counts.
    dispersion_outlier : numpy.ndarray
        Genes more than 2 SD above the trend, which keep their gene-wise dispersion.
    trend : DispersionTrend
        The fitted dispersion trend.
    prior_dispersion_variance, log_dispersion_variance : float
        R's ``dispPriorVar`` and ``varLogDispEsts``.
    coefficients : numpy.ndarray
        Genes x coefficients (NaN for genes with no counts).
    converged : numpy.ndarray
        Whether each gene's GLM fit converged.
    cooks : numpy.ndarray
        Cook's distances (samples x genes) of the first fit.
    max_cooks : numpy.ndarray
        The largest Cook's distance per gene that R's filter looks at.
    cooks_outlier : numpy.ndarray
        Genes R's Cook's filter flags (p-values set to NA when the filter is on).
    cooks_cutoff : float
        The F-quantile cutoff.
    replaced, refitted, now_zero : numpy.ndarray
        Genes whose outlier counts were replaced, refitted after replacement, or all zero
        after replacement.
    fit_options : dict
        The settings the fit used (size_factors, fit_type, refit_cooks, min_replicates).
    """

    design_formula: str
    metadata: pd.DataFrame
    design: pd.DataFrame
    genes: pd.Index
    counts: np.ndarray
    size_factors: np.ndarray
    base_mean: np.ndarray
    genewise_dispersions: np.ndarray
    fitted_dispersions: np.ndarray
    map_dispersions: np.ndarray
    dispersions: np.ndarray
    dispersion_outlier: np.ndarray
    trend: DispersionTrend
    prior_dispersion_variance: float
    log_dispersion_variance: float
    coefficients: np.ndarray
    converged: np.ndarray
    cooks: np.ndarray
    max_cooks: np.ndarray
    cooks_outlier: np.ndarray
    cooks_cutoff: float
    replaced: np.ndarray
    refitted: np.ndarray
    now_zero: np.ndarray
    fit_options: dict[str, Any] = field(default_factory=dict)

    @property
    def samples(self) -> pd.Index:
        """Sample names."""
        return self.design.index

    @property
    def coefficient_names(self) -> list[str]:
        """Design-matrix column names."""
        return [str(c) for c in self.design.columns]

    @property
    def design_array(self) -> np.ndarray:
        """The design matrix as floats."""
        return self.design.to_numpy(dtype=float)

    @property
    def normed_counts(self) -> np.ndarray:
        """Counts divided by the size factors (samples x genes)."""
        return self.counts / self.size_factors[:, None]

    @property
    def nonzero(self) -> np.ndarray:
        """Genes with a count in some sample (the others are not fitted)."""
        return np.asarray((self.counts > 0).any(axis=0))

    @property
    def lfc(self) -> pd.DataFrame:
        """Coefficients on the log2 scale, genes x coefficients."""
        return pd.DataFrame(
            self.coefficients / np.log(2), index=self.genes, columns=self.coefficient_names
        )

    def contrast_vector(self, contrast: Contrast) -> np.ndarray:
        """The contrast's weights over the design-matrix columns.

        A level contrast ``test`` vs ``reference`` of ``variable`` is the difference of the
        two levels' coefficients (``variable[T.level]``; zero for the fit's reference level).

        Raises
        ------
        InputError
            If a level or coefficient does not exist in this fit.
        """
        names = self.coefficient_names
        vector = np.zeros(len(names))
        if contrast.coefficients is not None:
            for name, weight in contrast.coefficients:
                vector[_coefficient_index(names, name, contrast)] = weight
            return vector
        variable = str(contrast.variable)
        levels = [str(v) for v in self.metadata[variable].cat.categories]
        for sign, level in ((1.0, contrast.test), (-1.0, contrast.reference)):
            if level not in levels:
                raise InputError(
                    f"level '{level}' does not occur in column '{variable}'",
                    where=f"contrast '{contrast.name}'",
                    fix=f"use one of {levels}",
                )
            if level != levels[0]:
                name = f"{variable}[T.{level}]"
                vector[_coefficient_index(names, name, contrast)] += sign
        return vector

    def vst(self) -> np.ndarray:
        """The design-aware VST of the model's counts (R ``vst(blind = FALSE)``)."""
        return self.trend.vst(self.normed_counts)


def _coefficient_index(names: list[str], name: str, contrast: Contrast) -> int:
    if name not in names:
        raise InputError(
            f"the design has no coefficient '{name}'",
            where=f"contrast '{contrast.name}'",
            fix=f"use coefficients of the design: {', '.join(names)}",
        )
    return names.index(name)


# -- model.h5ad -------------------------------------------------------------------------------


def model_to_anndata(
    model: DEModel,
    imported: ad.AnnData,
    tested: np.ndarray,
    contrasts: tuple[Contrast, ...],
    categorical: tuple[str, ...],
) -> ad.AnnData:
    """``model.h5ad``: every imported gene, the model's fields for the tested ones.

    Parameters
    ----------
    model : DEModel
        The fit.
    imported : anndata.AnnData
        ``counts.h5ad`` from the import stage (all genes).
    tested : numpy.ndarray
        Boolean mask over the imported genes: the genes of ``model``.
    contrasts : tuple of Contrast
        The run's contrasts (their vectors are stored for the scores stage).
    categorical : tuple of str
        Numeric sheet columns treated as factors (to rebuild the typed metadata).

    Returns
    -------
    anndata.AnnData
        ``X`` raw counts; layers ``normed_counts``, ``vst`` (design-aware), ``cooks``;
        ``var`` gene_id, symbol, tested and the per-gene model fields (NaN/False where not
        tested); ``varm["coefficients"]`` (natural log); ``obs`` the sample sheet and
        ``size_factors``; ``obsm["design_matrix"]``; ``uns["de"]`` the scalars.
    """
    counts = np.asarray(imported.X)
    normed = counts / model.size_factors[:, None]
    result = ad.AnnData(
        X=counts,
        obs=imported.obs.copy(),
        var=imported.var[["gene_id", "symbol"]].copy(),
        layers={
            "normed_counts": normed,
            "vst": model.trend.vst(normed),
            "cooks": spread(model.cooks, tested, np.nan, axis=1),
        },
    )
    result.obs["size_factors"] = model.size_factors
    result.obsm["design_matrix"] = model.design.set_axis(result.obs_names)
    result.var["tested"] = tested
    for name in GENE_FIELDS:
        fill: object = False if name in BOOL_FIELDS else np.nan
        column = STORED_NAMES.get(name, name)
        result.var[column] = spread(getattr(model, name), tested, fill, axis=0)
    result.varm["coefficients"] = spread(model.coefficients, tested, np.nan, axis=0)
    result.uns["de"] = _model_uns(model, contrasts, categorical)
    return result


def spread(
    values: np.ndarray, rows: np.ndarray, fill: object = np.nan, axis: int = 0
) -> np.ndarray:
    """``values`` of the genes ``rows`` (a boolean mask) placed along ``axis`` over all genes,
    ``fill`` elsewhere (floats, or booleans when ``fill`` is False)."""
    values = np.asarray(values)
    shape = list(values.shape)
    shape[axis] = rows.size
    full = np.full(shape, fill, dtype=values.dtype if fill is False else float)
    index: list[Any] = [slice(None)] * values.ndim
    index[axis] = rows
    full[tuple(index)] = values
    return full


def _model_uns(
    model: DEModel, contrasts: tuple[Contrast, ...], categorical: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "design": model.design_formula,
        "categorical": list(categorical),
        "references": {
            str(c): str(model.metadata[c].cat.categories[0])
            for c in model.metadata.columns
            if isinstance(model.metadata[c].dtype, pd.CategoricalDtype)
        },
        "coefficients": model.coefficient_names,
        "trend": model.trend.as_dict(),
        "prior_dispersion_variance": float(model.prior_dispersion_variance),
        "log_dispersion_variance": float(model.log_dispersion_variance),
        "cooks_cutoff": float(model.cooks_cutoff),
        "fit_options": dict(model.fit_options),
        "contrast_vectors": {c.name: model.contrast_vector(c).tolist() for c in contrasts},
        "tmeseq_version": __version__,
    }


def model_from_anndata(stored: ad.AnnData) -> DEModel:
    """The :class:`DEModel` written by :func:`model_to_anndata` (tested genes only)."""
    uns = stored.uns["de"]
    tested = stored.var["tested"].to_numpy(dtype=bool)
    var = stored.var.loc[tested]
    design = stored.obsm["design_matrix"]
    metadata = _typed_metadata(stored.obs, uns, list(design.index))
    per_gene = {
        name: var[STORED_NAMES.get(name, name)].to_numpy(
            dtype=bool if name in BOOL_FIELDS else float
        )
        for name in GENE_FIELDS
    }
    return DEModel(
        design_formula=str(uns["design"]),
        metadata=metadata,
        design=design,
        genes=stored.var_names[tested],
        counts=np.asarray(stored.X)[:, tested],
        size_factors=stored.obs["size_factors"].to_numpy(dtype=float),
        trend=DispersionTrend(**dict(uns["trend"])),
        prior_dispersion_variance=float(uns["prior_dispersion_variance"]),
        log_dispersion_variance=float(uns["log_dispersion_variance"]),
        coefficients=np.asarray(stored.varm["coefficients"])[tested],
        cooks=np.asarray(stored.layers["cooks"])[:, tested],
        cooks_cutoff=float(uns["cooks_cutoff"]),
        fit_options=dict(uns["fit_options"]),
        **per_gene,
    )


def _typed_metadata(obs: pd.DataFrame, uns: dict[str, Any], samples: list[str]) -> pd.DataFrame:
    variables = design_variables(str(uns["design"]))
    sheet = sheet_from_obs(obs.drop(columns=["size_factors"]))
    typed = covariates(sheet, list(uns["categorical"]), dict(uns["references"]))
    return typed.loc[samples, variables]
