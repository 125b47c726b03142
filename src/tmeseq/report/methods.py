"""The methods paragraph: generated from the settings a run used and the installed versions,
with a numbered citation for every tool, method and gene-set collection.

References are numbered in the order the paragraph first cites them, and only what the run
used is cited: apeglm only with ``de.shrink``, PyDESeq2 only for its iterative size factors,
ssGSEA only with ``scores.method: ssgsea``, GSEA, gseapy and each collection only when a
collection was tested. The TME signatures are cited from the ``citation`` of each set that was
scored, as written in the signature file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tmeseq.settings import Settings

#: The fixed references, by key.
REFERENCES: Mapping[str, str] = {
    "deseq2": (
        "Love MI, Huber W, Anders S. Moderated estimation of fold change and dispersion for "
        "RNA-seq data with DESeq2. Genome Biology 15:550 (2014)."
    ),
    "apeglm": (
        "Zhu A, Ibrahim JG, Love MI. Heavy-tailed prior distributions for sequence count data: "
        "removing the noise and preserving large differences. Bioinformatics 35:2084-2092 "
        "(2019)."
    ),
    "pydeseq2": (
        "Muzellec B, Teleńczuk M, Cabeli V, Andreux M. PyDESeq2: a python package for bulk "
        "RNA-seq differential expression analysis. Bioinformatics 39:btad547 (2023)."
    ),
    "bh": (
        "Benjamini Y, Hochberg Y. Controlling the false discovery rate: a practical and "
        "powerful approach to multiple testing. Journal of the Royal Statistical Society B "
        "57:289-300 (1995)."
    ),
    "gsea": (
        "Subramanian A, Tamayo P, Mootha VK, et al. Gene set enrichment analysis: a "
        "knowledge-based approach for interpreting genome-wide expression profiles. PNAS "
        "102:15545-15550 (2005)."
    ),
    "gseapy": (
        "Fang Z, Liu X, Peltz G. GSEApy: a comprehensive package for performing gene set "
        "enrichment analysis in Python. Bioinformatics 39:btac757 (2023)."
    ),
    "ssgsea": (
        "Barbie DA, Tamayo P, Boehm JS, et al. Systematic RNA interference reveals that "
        "oncogenic KRAS-driven cancers require TBK1. Nature 462:108-112 (2009)."
    ),
    "hallmarks": (
        "Liberzon A, Birger C, Thorvaldsdóttir H, Ghandi M, Mesirov JP, Tamayo P. The "
        "Molecular Signatures Database (MSigDB) hallmark gene set collection. Cell Systems "
        "1:417-425 (2015)."
    ),
    "snakemake": (
        "Mölder F, Jablonski KP, Letcher B, et al. Sustainable data analysis with Snakemake. "
        "F1000Research 10:33 (2021)."
    ),
}

_SIZE_FACTORS = {
    "ratio": "the median-of-ratios method",
    "poscounts": "the median-of-ratios method over positive counts (poscounts)",
    "iterative": "the iterative method",
}
_METRICS = {
    "stat": "the Wald statistic",
    "shrunk_lfc": "the apeglm-shrunk log2 fold change",
    "signed_log10_p": "the signed -log10 p-value",
}
_ALTERNATIVES = {
    "greaterAbs": "|log2 fold change| > {t:g}",
    "lessAbs": "|log2 fold change| < {t:g}",
    "greater": "log2 fold change > {t:g}",
    "less": "log2 fold change < -{t:g}",
}


_TOKEN = re.compile(r"\x00(\d+)\x00")


@dataclass
class Citations:
    """References cited while the paragraph is written, numbered at the end in the order
    they first appear in the text (:meth:`number`)."""

    texts: list[str] = field(default_factory=list)

    def cite(self, text: str) -> str:
        """A placeholder for the citation of ``text``, replaced by ``[n]`` in :meth:`number`."""
        if text not in self.texts:
            self.texts.append(text)
        return f"\x00{self.texts.index(text)}\x00"

    def key(self, name: str) -> str:
        """A placeholder citing the fixed reference ``name`` of :data:`REFERENCES`."""
        return self.cite(REFERENCES[name])

    def number(self, paragraph: str) -> Methods:
        """Replace the placeholders by ``[n]``, numbered by first appearance."""
        order: list[int] = []
        for match in _TOKEN.finditer(paragraph):
            if int(match.group(1)) not in order:
                order.append(int(match.group(1)))
        text = _TOKEN.sub(lambda m: f"[{order.index(int(m.group(1))) + 1}]", paragraph)
        return Methods(text, [self.texts[i] for i in order])


@dataclass(frozen=True)
class RunFacts:
    """What the run found that the methods mention.

    Attributes
    ----------
    n_genes, n_tested : int
        Genes imported; genes kept by the pre-filter.
    count_format : str
        The count format read (after ``auto`` detection).
    scored : sequence of (str, str)
        ``(score, citation)`` of each score computed: how the paragraph names it, and its
        reference (empty: none, e.g. a ratio of two cited scores).
    collections : sequence of (str, str)
        ``(collection, version)`` of each collection GSEA tested.
    """

    n_genes: int
    n_tested: int
    count_format: str
    scored: Sequence[tuple[str, str]]
    collections: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Methods:
    """The paragraph and its numbered references (``references[0]`` is ``[1]``)."""

    paragraph: str
    references: list[str]


def methods(settings: Settings, facts: RunFacts, versions: Mapping[str, str]) -> Methods:
    """The methods paragraph of a run.

    Parameters
    ----------
    settings : Settings
        The settings the run used.
    facts : RunFacts
        What the run found (genes tested, scores computed, collections tested).
    versions : mapping of str to str
        Installed versions (:func:`tmeseq.report.provenance.software_versions`).

    Returns
    -------
    Methods
    """
    cites = Citations()
    sentences = [
        _import_sentence(settings, facts, versions),
        _de_sentence(settings, facts, versions, cites),
        _qc_sentence(settings),
        _scores_sentence(settings, facts, cites),
        _gsea_sentence(settings, facts, versions, cites),
        f"The workflow ran with Snakemake {versions.get('snakemake', '')} "
        f"{cites.key('snakemake')} on Python {versions.get('python', '')}, numpy "
        f"{versions.get('numpy', '')}, scipy {versions.get('scipy', '')}, pandas "
        f"{versions.get('pandas', '')} and anndata {versions.get('anndata', '')}.",
    ]
    return cites.number(" ".join(s for s in sentences if s))


def _import_sentence(settings: Settings, facts: RunFacts, versions: Mapping[str, str]) -> str:
    return (
        f"Raw read counts ({facts.count_format} format; {facts.n_genes:,} genes) were analysed "
        f"with tmeseq {versions.get('tmeseq', '')} ({settings.species})."
    )


def _prefilter(settings: Settings, facts: RunFacts) -> str:
    model = settings.de.model
    if model.prefilter_min_count == 0:
        return f"All {facts.n_genes:,} genes were tested (no pre-filter)."
    samples = (
        f"{model.prefilter_min_samples}"
        if model.prefilter_min_samples is not None
        else "the smallest group's number of"
    )
    return (
        f"Genes with at least {model.prefilter_min_count} reads in at least {samples} samples "
        f"were kept ({facts.n_tested:,} of {facts.n_genes:,})."
    )


def _de_sentence(
    settings: Settings, facts: RunFacts, versions: Mapping[str, str], cites: Citations
) -> str:
    model, test = settings.de.model, settings.de.test
    size_factors = _SIZE_FACTORS[model.size_factors] + (
        f" of PyDESeq2 {versions.get('pydeseq2', '')} {cites.key('pydeseq2')}"
        if model.size_factors == "iterative"
        else ""
    )
    hypothesis = (
        f"Wald tests of {_ALTERNATIVES[test.alt_hypothesis].format(t=test.lfc_threshold)}"
        if test.lfc_threshold > 0
        else "Wald tests"
    )
    cooks = "no Cook's distance filter"
    if test.cooks_filter:
        cooks = "genes with a count outlier by Cook's distance had no p-value"
    if model.refit_cooks:
        cooks += (
            f" (outlier counts replaced and genes refitted in groups of at least "
            f"{model.min_replicates} samples)"
        )
    filtering = "with" if test.independent_filter else "without"
    text = (
        f"{_prefilter(settings, facts)} Differential expression was tested with tmeseq's "
        "implementation of DESeq2 "
        f"{cites.key('deseq2')} (design {model.design}; size factors by {size_factors}; "
        f"a {model.fit_type} dispersion-mean trend; {hypothesis}; {cooks}; p-values "
        f"adjusted by Benjamini-Hochberg {cites.key('bh')} {filtering} independent filtering; "
        f"significance at padj < {test.alpha:g})."
    )
    if test.shrink:
        text += f" Log2 fold changes were shrunk with apeglm {cites.key('apeglm')}."
    return text


def _qc_sentence(settings: Settings) -> str:
    return (
        "Sample quality was assessed on the variance-stabilising transform blind to the design: "
        f"principal components of the {settings.qc.n_top_genes} most variable genes, "
        "sample-to-sample Pearson correlation and each sample's highest correlation with "
        "another sample."
    )


def _scores_sentence(settings: Settings, facts: RunFacts, cites: Citations) -> str:
    if settings.scores.method == "ssgsea":
        how = f"single-sample GSEA {cites.key('ssgsea')}"
    else:
        how = "the mean of per-gene z-scores of the design-aware variance-stabilised expression"
    sources = []
    for name, citation in facts.scored:
        sources.append(f"{name} {cites.cite(citation)}" if citation else name)
    listed = f" ({', '.join(sources)})" if sources else ""
    return (
        f"TME scores{listed} were computed per sample as {how} and compared between arms "
        "with a t-test of the contrast in a linear model of the same design, p-values "
        f"adjusted by Benjamini-Hochberg {cites.key('bh')}."
    )


def _gsea_sentence(
    settings: Settings, facts: RunFacts, versions: Mapping[str, str], cites: Citations
) -> str:
    gsea = settings.gsea
    if not facts.collections:
        return "No gene-set collection was tested (GSEA skipped)."
    collections = []
    for name, version in facts.collections:
        label = f"{name} {version}".strip()
        if name.startswith("hallmark"):
            label = f"MSigDB Hallmarks {version} {cites.key('hallmarks')}"
        collections.append(label)
    how = (
        f"{gsea.permutations:,} gene-set permutations (seed {gsea.seed})"
        if gsea.method == "permutation"
        else f"gseapy's multilevel method (seed {gsea.seed})"
    )
    return (
        f"Preranked GSEA {cites.key('gsea')} with gseapy {versions.get('gseapy', '')} "
        f"{cites.key('gseapy')} ranked genes by {_METRICS[gsea.metric]} and tested each "
        f"collection separately ({', '.join(collections)}; sets of {gsea.min_size}-"
        f"{gsea.max_size} genes) with {how}."
    )
