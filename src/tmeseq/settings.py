"""Typed, frozen settings of a run, built once from the schema-validated config.

The JSON Schema (``workflow/schemas/config.schema.yaml``) is the only place that holds
defaults: :func:`Settings.from_config` expects a config that ``snakemake.utils.validate``
has filled in, reads every key it needs with ``[]`` and fails loudly when one is missing.
Each rule receives only the settings object of what it does, so that changing an option
reruns exactly the jobs that use it (e.g. ``de.n_labels`` reruns the DE plots, not the fit).

Settings reach a rule as plain values: Snakemake's params-change rerun trigger compares the
``repr`` of builtin values only and silently ignores any other object (a dataclass param
would never rerun anything). So a rule passes ``SETTINGS.qc.as_param()`` (a dict) and its
script rebuilds the typed object with ``QCSettings.from_param(snakemake.params.qc)``.
Paths are strings as the user gave them (relative to the working directory).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Self, cast

from tmeseq.errors import InputError

Species = Literal["human", "mouse"]
CountFormat = Literal[
    "auto",
    "matrix",
    "featurecounts",
    "star",
    "htseq",
    "salmon",
    "kallisto",
    "rsem",
    "nfcore",
    "h5ad",
]
StarStrand = Literal["unstranded", "forward", "reverse"]
SizeFactorMethod = Literal["ratio", "poscounts", "iterative"]
FitType = Literal["parametric", "mean"]
AltHypothesis = Literal["greaterAbs", "lessAbs", "greater", "less"]
ScoreMethod = Literal["zscore", "ssgsea"]
Metric = Literal["stat", "shrunk_lfc", "signed_log10_p"]
GseaMethod = Literal["permutation", "multilevel"]


class ParamForm:
    """Plain-value form of a frozen settings dataclass, for a rule's ``params``."""

    def as_param(self) -> dict[str, Any]:
        """The fields as builtin values (nested settings become dicts, tuples stay tuples)."""
        return asdict(cast(Any, self))

    @classmethod
    def from_param(cls, value: Mapping[str, Any]) -> Self:
        """Rebuild the settings from :meth:`as_param`'s dict (in a rule's script)."""
        return cast(Callable[..., Self], cls)(**value)


@dataclass(frozen=True)
class Contrast(ParamForm):
    """One comparison, from the fit of the design.

    Either a level contrast (``variable``, ``test``, ``reference``) or a named linear
    combination of design coefficients (``coefficients``: ``(name, weight)`` pairs).
    """

    name: str
    variable: str | None = None
    test: str | None = None
    reference: str | None = None
    coefficients: tuple[tuple[str, float], ...] | None = None

    @property
    def is_levels(self) -> bool:
        """True for a ``test`` vs ``reference`` contrast of one variable."""
        return self.coefficients is None

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> Contrast:
        """One entry of ``de.contrasts``."""
        if "coefficients" in entry:
            weights = tuple((str(k), float(v)) for k, v in entry["coefficients"].items())
            return cls(name=str(entry["name"]), coefficients=weights)
        return cls(
            name=str(entry["name"]),
            variable=str(entry["variable"]),
            test=str(entry["test"]),
            reference=str(entry["reference"]),
        )


def reference_levels(
    contrasts: tuple[Contrast, ...], explicit: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Reference level of each factor of the fit.

    ``explicit`` (``de.reference_levels``) wins; any other contrast variable takes the
    ``reference`` of its first level contrast. A contrast still compares its own ``test`` and
    ``reference``: this only sets which level the design's coefficients are relative to.
    """
    references: dict[str, str] = {str(k): str(v) for k, v in (explicit or {}).items()}
    for contrast in contrasts:
        if contrast.is_levels:
            references.setdefault(str(contrast.variable), str(contrast.reference))
    return references


@dataclass(frozen=True)
class DEModelSettings(ParamForm):
    """What changes the DE fit (R ``DESeq()``): rule ``de_fit``.

    Attributes
    ----------
    design : str
        Design formula, e.g. ``"~ batch + arm"``.
    categorical : tuple of str
        Numeric sample-sheet columns to treat as factors.
    contrasts : tuple of Contrast
        The contrasts; they set the reference levels of the fit and the pre-filter's
        smallest group.
    prefilter_min_count, prefilter_min_samples : int, int or None
        Genes kept for the fit: at least ``min_count`` reads in at least ``min_samples``
        samples (None: the smallest group of the contrasts' variables).
    size_factors : {"ratio", "poscounts", "iterative"}
        Size-factor method (R ``sfType``).
    fit_type : {"parametric", "mean"}
        Dispersion trend (R ``fitType``).
    refit_cooks : bool
        Replace outlier counts and refit (R: ``minReplicatesForReplace`` finite).
    min_replicates : int
        Smallest design cell whose samples can have counts replaced.
    reference_levels : tuple of (str, str)
        ``de.reference_levels`` as (variable, level) pairs: the fit's reference level of
        those factors, before the contrasts' (see :func:`reference_levels`).
    """

    design: str
    categorical: tuple[str, ...]
    contrasts: tuple[Contrast, ...]
    prefilter_min_count: int
    prefilter_min_samples: int | None
    size_factors: SizeFactorMethod
    fit_type: FitType
    refit_cooks: bool
    min_replicates: int
    reference_levels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.min_replicates < 3:
            raise InputError(
                f"min_replicates must be >= 3, got {self.min_replicates}",
                where="key de.min_replicates",
                fix="use 3 or more (DESeq2's default is 7)",
            )

    @property
    def references(self) -> dict[str, str]:
        """Reference level per factor: ``de.reference_levels``, then the contrasts'."""
        return reference_levels(self.contrasts, dict(self.reference_levels))

    @classmethod
    def from_param(cls, value: Mapping[str, Any]) -> Self:
        """Rebuild from :meth:`as_param`'s dict, the contrasts included."""
        contrasts = tuple(Contrast.from_param(c) for c in value["contrasts"])
        pairs = tuple((str(k), str(v)) for k, v in value.get("reference_levels", ()))
        return cls(**{**value, "contrasts": contrasts, "reference_levels": pairs})

    @classmethod
    def from_config(cls, de: Mapping[str, Any]) -> DEModelSettings:
        """From the validated ``de`` section."""
        return cls(
            design=str(de["design"]),
            categorical=tuple(str(c) for c in de["categorical"]),
            contrasts=tuple(Contrast.from_config(c) for c in de["contrasts"]),
            prefilter_min_count=int(de["prefilter"]["min_count"]),
            prefilter_min_samples=de["prefilter"]["min_samples"],
            size_factors=de["size_factors"],
            fit_type=de["fit_type"],
            refit_cooks=bool(de["refit_cooks"]),
            min_replicates=int(de["min_replicates"]),
            reference_levels=tuple((str(k), str(v)) for k, v in de["reference_levels"].items()),
        )


@dataclass(frozen=True)
class DETestSettings(ParamForm):
    """What changes the tests of the contrasts (R ``results()``, ``lfcShrink()``): rule
    ``de_results``.

    Attributes
    ----------
    alpha : float
        Significance level (independent filtering, summary counts).
    cooks_filter : bool
        Drop p-values of genes with a Cook's outlier (R ``cooksCutoff``).
    independent_filter : bool
        Independent filtering on the mean count (R ``independentFiltering``).
    lfc_threshold : float
        log2 fold-change threshold of the test (R ``lfcThreshold``).
    alt_hypothesis : {"greaterAbs", "lessAbs", "greater", "less"}
        Alternative hypothesis (R ``altHypothesis``).
    shrink : bool
        Add apeGLM-shrunk log2 fold changes.
    """

    alpha: float
    cooks_filter: bool
    independent_filter: bool
    lfc_threshold: float
    alt_hypothesis: AltHypothesis
    shrink: bool

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.alpha < 1:
            problems.append(f"de.alpha must lie in (0, 1), got {self.alpha}")
        if self.lfc_threshold < 0:
            problems.append(f"de.lfc_threshold must be >= 0, got {self.lfc_threshold}")
        if self.alt_hypothesis == "lessAbs" and self.lfc_threshold == 0:
            problems.append("de.alt_hypothesis 'lessAbs' needs a positive de.lfc_threshold")
        if problems:
            raise InputError("; ".join(problems), where="DE settings (config key de)")

    @classmethod
    def from_config(cls, de: Mapping[str, Any]) -> DETestSettings:
        """From the validated ``de`` section."""
        return cls(
            alpha=float(de["alpha"]),
            cooks_filter=bool(de["cooks_filter"]),
            independent_filter=bool(de["independent_filter"]),
            lfc_threshold=float(de["lfc_threshold"]),
            alt_hypothesis=de["alt_hypothesis"],
            shrink=bool(de["shrink"]),
        )


@dataclass(frozen=True)
class DESettings:
    """The ``de`` section: the fit, the tests, and the plot options."""

    model: DEModelSettings
    test: DETestSettings
    n_labels: int

    @classmethod
    def from_config(cls, de: Mapping[str, Any]) -> DESettings:
        """From the validated ``de`` section."""
        return cls(
            model=DEModelSettings.from_config(de),
            test=DETestSettings.from_config(de),
            n_labels=int(de["n_labels"]),
        )


@dataclass(frozen=True)
class CountsSettings(ParamForm):
    """The ``counts`` section: where the counts are and how to read them (rule
    ``import_counts``).

    Attributes
    ----------
    path : str
        Count file or folder, as the user gave it.
    format : str
        Count format name or ``"auto"``.
    star_strand : {"unstranded", "forward", "reverse"}
        STAR ``ReadsPerGene`` column.
    tx2gene : str or None
        Transcript-to-gene map (salmon, kallisto).
    """

    path: str
    format: CountFormat
    star_strand: StarStrand
    tx2gene: str | None

    @classmethod
    def from_config(cls, counts: Mapping[str, Any]) -> CountsSettings:
        """From the validated ``counts`` section."""
        return cls(
            path=str(counts["path"]),
            format=counts["format"],
            star_strand=counts["star_strand"],
            tx2gene=_optional_str(counts["tx2gene"]),
        )


@dataclass(frozen=True)
class QCSettings(ParamForm):
    """The ``qc`` section (rule ``qc``).

    Attributes
    ----------
    n_top_genes : int
        Most variable genes (blind VST) used for the PCA.
    colour_by : str or None
        Sample-sheet column colouring the figures: ``qc.colour_by``, else the variable of the
        first level contrast (the schema's documented default); None when there is none.
    shape_by : str or None
        Sample-sheet column setting the PCA marker shape.
    """

    n_top_genes: int
    colour_by: str | None
    shape_by: str | None

    @classmethod
    def from_config(cls, qc: Mapping[str, Any], contrasts: tuple[Contrast, ...]) -> QCSettings:
        """From the validated ``qc`` section and the contrasts (for the colour's default)."""
        variables = [str(c.variable) for c in contrasts if c.is_levels]
        colour = qc["colour_by"] or (variables[0] if variables else None)
        return cls(
            n_top_genes=int(qc["n_top_genes"]),
            colour_by=_optional_str(colour),
            shape_by=_optional_str(qc["shape_by"]),
        )


@dataclass(frozen=True)
class ScoreSettings(ParamForm):
    """The ``scores`` section (rule ``scores``; ``gene_sets`` and ``replace_bundled`` also shape
    the signature collection GSEA tests).

    Attributes
    ----------
    method : {"zscore", "ssgsea"}
        Scoring method.
    gene_sets : tuple of str
        Extra gene-set files (GMT or signature YAML), as the user gave them.
    replace_bundled : bool
        Score only ``gene_sets``.
    seed : int
        Seed for ssGSEA.
    allow_empty : bool
        Run even when no gene of the signature collection (or of a file of ``gene_sets``) is
        expressed; otherwise the run stops before the DE fit (:mod:`tmeseq.stage_inputs`).
    """

    method: ScoreMethod
    gene_sets: tuple[str, ...]
    replace_bundled: bool
    seed: int
    allow_empty: bool

    @classmethod
    def from_config(cls, scores: Mapping[str, Any]) -> ScoreSettings:
        """From the validated ``scores`` section."""
        return cls(
            method=scores["method"],
            gene_sets=tuple(str(path) for path in scores["gene_sets"]),
            replace_bundled=bool(scores["replace_bundled"]),
            seed=int(scores["seed"]),
            allow_empty=bool(scores["allow_empty"]),
        )


@dataclass(frozen=True)
class GSEASettings(ParamForm):
    """The ``gsea`` section (rule ``gsea``).

    Attributes
    ----------
    metric : {"stat", "shrunk_lfc", "signed_log10_p"}
        Ranking statistic.
    permutations, seed : int
        Gene-set permutations per collection and the random seed.
    min_size, max_size : int
        Size bounds of a tested set (genes present in the ranking).
    signature_min_size : int
        Smallest set tested in the signature collection.
    method : {"permutation", "multilevel"}
        How p-values are computed.
    hallmarks, signatures : bool
        Test the bundled Hallmarks; test the signature collection (with the scores' extra
        gene sets).
    gene_sets : tuple of str
        User GMT files, as the user gave them.
    n_enrichment_plots : int
        Enrichment plots drawn per contrast.
    allow_empty : bool
        Run even when a collection has no set with enough expressed genes to be tested;
        otherwise the run stops before the DE fit (:mod:`tmeseq.stage_inputs`).
    """

    metric: Metric
    permutations: int
    seed: int
    min_size: int
    max_size: int
    signature_min_size: int
    method: GseaMethod
    hallmarks: bool
    signatures: bool
    gene_sets: tuple[str, ...]
    n_enrichment_plots: int
    allow_empty: bool

    @classmethod
    def from_config(cls, gsea: Mapping[str, Any]) -> GSEASettings:
        """From the validated ``gsea`` section."""
        return cls(
            metric=gsea["metric"],
            permutations=int(gsea["permutations"]),
            seed=int(gsea["seed"]),
            min_size=int(gsea["min_size"]),
            max_size=int(gsea["max_size"]),
            signature_min_size=int(gsea["signature_min_size"]),
            method=gsea["method"],
            hallmarks=bool(gsea["hallmarks"]),
            signatures=bool(gsea["signatures"]),
            gene_sets=tuple(str(path) for path in gsea["gene_sets"]),
            n_enrichment_plots=int(gsea["n_enrichment_plots"]),
            allow_empty=bool(gsea["allow_empty"]),
        )


@dataclass(frozen=True)
class ReportSettings(ParamForm):
    """The ``report`` section (rule ``report``).

    Attributes
    ----------
    top_genes : int
        Rows of each contrast's top-genes table (by p-value).
    volcano_points : int
        Genes drawn as interactive points in each volcano (by p-value); the others are
        drawn as a thinned, static background.
    gsea_top_sets : int
        Rows of each contrast's gene-set table.
    """

    top_genes: int
    volcano_points: int
    gsea_top_sets: int

    @classmethod
    def from_config(cls, report: Mapping[str, Any]) -> ReportSettings:
        """From the validated ``report`` section."""
        return cls(
            top_genes=int(report["top_genes"]),
            volcano_points=int(report["volcano_points"]),
            gsea_top_sets=int(report["gsea_top_sets"]),
        )


@dataclass(frozen=True)
class Settings:
    """Everything a run is configured with, built once when the workflow loads.

    Attributes
    ----------
    cohort : str
        Results go to ``results/<cohort>/``.
    species : {"human", "mouse"}
        Species of the samples.
    samples : str
        The sample sheet, as the user gave it.
    counts : CountsSettings
        The counts and how to read them.
    annotation : str or None
        Gene annotation table or GTF.
    qc, de, scores, gsea : QCSettings, DESettings, ScoreSettings, GSEASettings
        The stages' settings.
    report : ReportSettings
        The HTML report's settings.
    """

    cohort: str
    species: Species
    samples: str
    counts: CountsSettings
    annotation: str | None
    qc: QCSettings
    de: DESettings
    scores: ScoreSettings
    gsea: GSEASettings
    report: ReportSettings

    @property
    def contrast_names(self) -> list[str]:
        """The contrasts' names, in config order."""
        return [c.name for c in self.de.model.contrasts]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """From a config validated against the schema (every default filled in).

        Raises
        ------
        KeyError
            If a key is missing, i.e. the config was not validated with the schema.
        InputError
            If a value breaks a rule the schema cannot state (e.g. ``de.alt_hypothesis``
            ``lessAbs`` without a threshold).
        """
        de = DESettings.from_config(config["de"])
        return cls(
            cohort=str(config["cohort"]),
            species=config["species"],
            samples=str(config["samples"]),
            counts=CountsSettings.from_config(config["counts"]),
            annotation=_optional_str(config["annotation"]),
            qc=QCSettings.from_config(config["qc"], de.model.contrasts),
            de=de,
            scores=ScoreSettings.from_config(config["scores"]),
            gsea=GSEASettings.from_config(config["gsea"]),
            report=ReportSettings.from_config(config["report"]),
        )


def _optional_str(value: Any) -> str | None:
    """``str(value)``, or None for None or an empty string."""
    return str(value) if value not in (None, "") else None
