"""Negative-binomial RNA-seq count simulator and the bundled example cohort.

Test and data tooling, not part of the runtime package: the tests, ``benchmarks/`` and the
recipe of ``workflow/resources/example`` import it as ``tests.simulate`` from the repository's
root (the workflow never runs it).

The simulator plants known effects so that later stages can be tested against a known truth
(differential expression, signature scores, GSEA). Counts follow the model DESeq2 assumes::

    K[g, j] ~ NB(mean = s[j] * q[g] * 2 ** E[g, j], dispersion = alpha[g])
    Var(K)  = mean + alpha * mean ** 2

with per-gene base means ``q`` (log-normal, median ~150, long right tail), per-sample size
factors ``s`` (log-normal around 1), gene-wise dispersions scattered around a DESeq2-like trend
``alpha(q) = a0 + a1 / q`` and a genes x samples matrix ``E`` of log2 effects, built with
:func:`effects_for` and :func:`combine_effects` (treatment arms, batches, pairing: any effect a
sample sheet column can describe).

:func:`make_example_cohort` writes the simulated mouse study bundled under
``workflow/resources/example`` (three arms x 6 tumours, two batches); run it as::

    python -m tests.simulate --out workflow/resources/example

Everything is drawn from ``numpy.random.default_rng`` seeded by the caller, so the same seed
gives the same numbers (for a given NumPy release: NumPy may change a distribution's algorithm
between releases, which the byte-identity test of the bundled example would reveal).
"""

from __future__ import annotations

import argparse
import gzip
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from tmeseq.genesets import Collection, read_hallmarks, read_signatures, signatures_path

__all__ = [
    "ARMS",
    "BATCHES",
    "DEFAULT_SEED",
    "PLANTS",
    "DispersionTrend",
    "Plant",
    "combine_effects",
    "draw_base_means",
    "draw_size_factors",
    "effects_for",
    "make_example_cohort",
    "simulate_counts",
]

DEFAULT_SEED = 214
ARMS: tuple[str, ...] = ("vehicle", "NKTR214", "chemo")
BATCHES: tuple[str, ...] = ("b1", "b2")
N_PER_ARM = 6
N_GENES = 10_000
FILLER_PREFIX = "Simgene"
MARKER_MIN_MEAN = 30.0
BATCH_FRACTION = 0.10
BATCH_LOG2_SD = 0.6
UNCHANGED_HALLMARKS: tuple[str, ...] = ("HALLMARK_HYPOXIA",)


# ---------------------------------------------------------------------------------------------
# Model parameters


@dataclass(frozen=True)
class DispersionTrend:
    """Gene-wise dispersions scattered around ``alpha(mu) = asymptotic + extra_poisson / mu``.

    Attributes
    ----------
    asymptotic : float
        ``a0``, the dispersion of highly expressed genes (biological CV squared); 0.05-0.1 is
        typical of tumour tissue, lower for cell lines.
    extra_poisson : float
        ``a1``, how much extra dispersion low-count genes have.
    scatter_sd : float
        Standard deviation of the gene-wise scatter around the trend, on the natural-log scale.
    """

    asymptotic: float = 0.07
    extra_poisson: float = 1.5
    scatter_sd: float = 0.3

    def draw(self, base_mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw one dispersion per gene for genes with the given base means."""
        trend = self.asymptotic + self.extra_poisson / np.maximum(base_mean, 1e-8)
        return trend * np.exp(rng.normal(0.0, self.scatter_sd, size=base_mean.shape))


def draw_base_means(
    n_genes: int, rng: np.random.Generator, *, median: float = 150.0, sdlog: float = 1.5
) -> np.ndarray:
    """Draw per-gene base means (expected counts at size factor 1) from a log-normal.

    Parameters
    ----------
    n_genes : int
        How many genes.
    rng : numpy.random.Generator
        Random source.
    median : float
        Median base mean; the default gives about 5 million counts per sample for 10,000 genes.
    sdlog : float
        Standard deviation of the natural log; 1.5 gives a long right tail and ~10% of genes
        with a mean below 10.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_genes,)``, positive floats.
    """
    return median * np.exp(rng.normal(0.0, sdlog, size=n_genes))


def draw_size_factors(
    n_samples: int, rng: np.random.Generator, *, sdlog: float = 0.25
) -> np.ndarray:
    """Draw per-sample size factors around 1 (log-normal, rescaled to geometric mean 1)."""
    factors = np.exp(rng.normal(0.0, sdlog, size=n_samples))
    return factors / np.exp(np.mean(np.log(factors)))


# ---------------------------------------------------------------------------------------------
# Effects


def effects_for(
    samples: pd.DataFrame,
    column: str,
    level: str,
    genes: Sequence[str],
    log2fc: float | Sequence[float] | Mapping[str, float],
) -> pd.DataFrame:
    """Log2 effects of one level of one sample-sheet column.

    Parameters
    ----------
    samples : pandas.DataFrame
        Sample sheet with a ``sample`` column.
    column : str
        The covariate, e.g. ``"arm"`` or ``"batch"``.
    level : str
        Samples whose ``column`` equals this get the effect; all others get 0.
    genes : sequence of str
        Genes affected.
    log2fc : float, sequence of float or mapping of gene to float
        One shift for all genes, one per gene (in ``genes`` order), or a gene -> shift mapping.

    Returns
    -------
    pandas.DataFrame
        ``genes`` x samples log2 shifts, for :func:`combine_effects` or :func:`simulate_counts`.

    Raises
    ------
    ValueError
        If ``column`` is absent, ``level`` does not occur in it, genes repeat, or the shifts
        do not match the genes.
    """
    ids = _sample_ids(samples)
    if column not in samples.columns:
        raise ValueError(f"sample sheet has no column {column!r}")
    in_level = (samples[column].astype(str) == str(level)).to_numpy()
    if not in_level.any():
        raise ValueError(f"level {level!r} does not occur in column {column!r}")
    gene_ids = _unique_genes(genes)
    shifts = _per_gene(gene_ids, log2fc)
    values = np.outer(shifts, in_level.astype(float))
    return pd.DataFrame(values, index=pd.Index(gene_ids, name="gene_id"), columns=ids)


def combine_effects(*effects: pd.DataFrame) -> pd.DataFrame:
    """Add log2 effect matrices, aligning genes and samples (missing entries count as 0)."""
    if not effects:
        raise ValueError("combine_effects needs at least one effect matrix")
    total = effects[0]
    for frame in effects[1:]:
        total = total.add(frame, fill_value=0.0)
    return total.fillna(0.0)


def _per_gene(
    genes: Sequence[str], log2fc: float | Sequence[float] | Mapping[str, float]
) -> np.ndarray:
    """One log2 shift per gene from a scalar, a sequence or a mapping."""
    if isinstance(log2fc, Mapping):
        missing = [g for g in genes if g not in log2fc]
        if missing:
            raise ValueError(f"log2fc mapping lacks genes {missing[:5]}")
        return np.array([float(log2fc[g]) for g in genes])
    if np.ndim(log2fc) == 0:
        return np.full(len(genes), float(log2fc))  # type: ignore[arg-type]
    shifts = np.asarray(log2fc, dtype=float)
    if shifts.shape != (len(genes),):
        raise ValueError(f"got {shifts.size} log2fc values for {len(genes)} genes")
    return shifts


def _sample_ids(samples: pd.DataFrame) -> list[str]:
    """The ``sample`` column as a list of unique strings."""
    if "sample" not in samples.columns:
        raise ValueError("the sample sheet needs a 'sample' column")
    ids = samples["sample"].astype(str).tolist()
    if len(set(ids)) != len(ids):
        raise ValueError("sample IDs in the 'sample' column must be unique")
    return ids


# ---------------------------------------------------------------------------------------------
# Counts


def simulate_counts(
    genes: Sequence[str],
    samples: pd.DataFrame,
    log2_effects: pd.DataFrame | None = None,
    *,
    seed: int | np.random.SeedSequence,
    base_mean: np.ndarray | None = None,
    dispersion: DispersionTrend | float | np.ndarray | None = None,
    size_factors: np.ndarray | None = None,
) -> pd.DataFrame:
    """Simulate negative-binomial counts with planted log2 effects.

    Parameters
    ----------
    genes : sequence of str
        Gene IDs (unique); the rows of the result.
    samples : pandas.DataFrame
        Sample sheet with a ``sample`` column; its order gives the columns of the result.
    log2_effects : pandas.DataFrame, optional
        Genes x samples log2 shifts of the mean (see :func:`effects_for`). May cover a subset
        of genes and samples (the rest get 0) but must not name unknown ones.
    seed : int or numpy.random.SeedSequence
        Seeds ``numpy.random.default_rng``. Draws happen in a fixed order (base means,
        dispersions, size factors, counts), each only when not given.
    base_mean : numpy.ndarray, optional
        Per-gene expected count at size factor 1 and no effect; drawn with
        :func:`draw_base_means` when omitted.
    dispersion : DispersionTrend, float or numpy.ndarray, optional
        A trend to draw gene-wise dispersions from (default ``DispersionTrend()``), one value for
        all genes, or one per gene. Must be positive.
    size_factors : numpy.ndarray, optional
        Per-sample size factors; drawn with :func:`draw_size_factors` when omitted.

    Returns
    -------
    pandas.DataFrame
        Genes x samples ``int64`` counts, index named ``gene_id``.

    Raises
    ------
    ValueError
        If inputs are inconsistent (duplicated IDs, wrong lengths, unknown genes or samples in
        ``log2_effects``, non-positive dispersion).
    """
    gene_ids = _unique_genes(genes)
    sample_ids = _sample_ids(samples)
    rng = np.random.default_rng(seed)
    q = _vector(base_mean, len(gene_ids), "base_mean")
    q = draw_base_means(len(gene_ids), rng) if q is None else q
    alpha = _dispersions(dispersion, q, rng)
    s = _vector(size_factors, len(sample_ids), "size_factors")
    s = draw_size_factors(len(sample_ids), rng) if s is None else s
    effects = _effect_matrix(log2_effects, gene_ids, sample_ids)
    mean = q[:, None] * s[None, :] * np.exp2(effects)
    size = np.broadcast_to((1.0 / alpha)[:, None], mean.shape)
    counts = rng.negative_binomial(size, size / (size + mean))
    index = pd.Index(gene_ids, name="gene_id")
    return pd.DataFrame(counts.astype(np.int64), index=index, columns=sample_ids)


def _unique_genes(genes: Sequence[str]) -> list[str]:
    """Gene IDs as a list of unique strings."""
    gene_ids = [str(g) for g in genes]
    if len(set(gene_ids)) != len(gene_ids):
        raise ValueError("gene IDs must be unique")
    return gene_ids


def _vector(values: np.ndarray | None, length: int, what: str) -> np.ndarray | None:
    """Check an optional positive vector's length."""
    if values is None:
        return None
    array = np.asarray(values, dtype=float)
    if array.shape != (length,) or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{what} must be {length} finite non-negative numbers")
    return array


def _dispersions(
    dispersion: DispersionTrend | float | np.ndarray | None,
    base_mean: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Gene-wise dispersions from a trend, a scalar or a vector."""
    if dispersion is None or isinstance(dispersion, DispersionTrend):
        return (dispersion or DispersionTrend()).draw(base_mean, rng)
    alpha = np.broadcast_to(np.asarray(dispersion, dtype=float), base_mean.shape).copy()
    if not np.all(np.isfinite(alpha)) or np.any(alpha <= 0):
        raise ValueError("dispersions must be positive")
    return alpha


def _effect_matrix(
    log2_effects: pd.DataFrame | None, genes: list[str], samples: list[str]
) -> np.ndarray:
    """Align a (partial) log2 effect frame to genes x samples, zeros elsewhere."""
    if log2_effects is None:
        return np.zeros((len(genes), len(samples)))
    unknown_genes = set(map(str, log2_effects.index)) - set(genes)
    unknown_samples = set(map(str, log2_effects.columns)) - set(samples)
    if unknown_genes or unknown_samples:
        raise ValueError(
            f"log2_effects names unknown genes {sorted(unknown_genes)[:5]} "
            f"or samples {sorted(unknown_samples)[:5]}"
        )
    frame = log2_effects.rename(index=str, columns=str)
    aligned = frame.reindex(index=genes, columns=samples).fillna(0.0).to_numpy(dtype=float)
    if not np.all(np.isfinite(aligned)):
        raise ValueError("log2_effects must be finite")
    return aligned


# ---------------------------------------------------------------------------------------------
# The bundled example cohort


@dataclass(frozen=True)
class Plant:
    """One planted effect of the example cohort: a gene set shifted in one arm vs vehicle.

    Attributes
    ----------
    arm : str
        The treated arm (vehicle is the reference, never shifted).
    gene_set : str
        A signature name (``tme_signatures.yaml``) or a mouse Hallmark set name.
    low, high : float
        Each chosen gene's log2 effect is drawn uniformly from ``[low, high]``.
    fraction : float
        Share of the set's genes shifted (chosen at random); 1 for signatures.
    """

    arm: str
    gene_set: str
    low: float
    high: float
    fraction: float = 1.0


PLANTS: tuple[Plant, ...] = (
    Plant("NKTR214", "effector", 1.2, 1.6),
    Plant("NKTR214", "cd8_t_cells", 1.0, 1.4),
    Plant("NKTR214", "nk_cells", 1.0, 1.4),
    Plant("NKTR214", "cd274", 1.2, 1.5),
    Plant("NKTR214", "ifng_6gene", 0.8, 1.2),
    Plant("NKTR214", "il2_cd122", 0.7, 1.1),
    Plant("NKTR214", "HALLMARK_INTERFERON_GAMMA_RESPONSE", 0.4, 0.8, 0.65),
    Plant("chemo", "icd", 0.8, 1.2),
    Plant("chemo", "m1_macrophages", 0.8, 1.2),
    Plant("chemo", "m2_macrophages", -1.2, -0.8),
    Plant("chemo", "tregs", -1.2, -0.8),
    Plant("chemo", "HALLMARK_E2F_TARGETS", -0.8, -0.4, 0.65),
    Plant("chemo", "HALLMARK_G2M_CHECKPOINT", -0.8, -0.4, 0.65),
)
"""Planted biology, in order of precedence (a gene keeps the first effect it gets per arm)."""

HELD: Mapping[str, tuple[str, ...]] = MappingProxyType({"NKTR214": ("tregs",), "chemo": ()})
"""Signature sets whose genes are never shifted in that arm (Tregs flat under NKTR-214)."""


def example_samples() -> pd.DataFrame:
    """The example sample sheet: 3 arms x 6 tumours, batches b1/b2 balanced 3+3 within arm."""
    rows: list[dict[str, str]] = []
    for arm in ARMS:
        for i in range(1, N_PER_ARM + 1):
            rows.append(
                {
                    "sample": f"{arm}_{i:02d}",
                    "arm": arm,
                    "batch": BATCHES[0] if i <= N_PER_ARM // 2 else BATCHES[1],
                    "mouse": f"M{len(rows) + 1:02d}",
                }
            )
    return pd.DataFrame(rows)


def example_genes(
    hallmarks: Collection, signatures: Collection, n_genes: int = N_GENES
) -> list[str]:
    """Every Hallmark and signature gene (sorted), then ``Simgene00001``... up to ``n_genes``."""
    real = sorted({g for c in (hallmarks, signatures) for s in c.sets for g in s.genes})
    if len(real) > n_genes:
        raise ValueError(f"n_genes={n_genes} is below the {len(real)} real genes needed")
    fillers = [f"{FILLER_PREFIX}{i:05d}" for i in range(1, n_genes - len(real) + 1)]
    return real + fillers


def plant_truth(
    hallmarks: Collection, signatures: Collection, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw the planted arm effects (vs vehicle) of :data:`PLANTS`.

    Returns
    -------
    pandas.DataFrame
        Columns ``gene, arm, log2_effect, source`` (source: the set that planted it), sorted
        by arm (in :data:`ARMS` order) then gene; effects rounded to 3 decimals.
    """
    unchanged = {g for name in UNCHANGED_HALLMARKS for g in hallmarks.get(name).genes}
    taken: dict[tuple[str, str], tuple[float, str]] = {}
    for plant in PLANTS:
        held = {g for name in HELD.get(plant.arm, ()) for g in signatures.get(name).genes}
        is_hallmark = plant.gene_set in hallmarks.names
        source = hallmarks if is_hallmark else signatures
        genes = [g for g in source.get(plant.gene_set).genes if g not in held]
        if is_hallmark:
            genes = [g for g in genes if g not in unchanged]
        chosen = _choose(genes, plant.fraction, rng)
        effects = np.round(rng.uniform(plant.low, plant.high, size=len(chosen)), 3)
        for gene, effect in zip(chosen, effects, strict=True):
            taken.setdefault((plant.arm, gene), (float(effect), plant.gene_set))
    rows = [
        {"gene": gene, "arm": arm, "log2_effect": effect, "source": source}
        for (arm, gene), (effect, source) in taken.items()
    ]
    truth = pd.DataFrame(rows)
    truth["order"] = truth["arm"].map(ARMS.index)
    return truth.sort_values(["order", "gene"]).drop(columns="order").reset_index(drop=True)


def _choose(genes: list[str], fraction: float, rng: np.random.Generator) -> list[str]:
    """A random ``fraction`` of ``genes``, in their original order (all when fraction is 1)."""
    if fraction >= 1.0:
        return genes
    keep = rng.choice(len(genes), size=round(fraction * len(genes)), replace=False)
    return [genes[i] for i in sorted(keep)]


def batch_truth(genes: Sequence[str], rng: np.random.Generator) -> pd.DataFrame:
    """Draw the batch effect: b2 vs b1 log2 shifts on a random 10% of genes, N(0, 0.6)."""
    n = round(BATCH_FRACTION * len(genes))
    chosen = sorted(rng.choice(len(genes), size=n, replace=False))
    effects = np.round(rng.normal(0.0, BATCH_LOG2_SD, size=n), 3)
    return pd.DataFrame(
        {"gene": [genes[i] for i in chosen], "batch": BATCHES[1], "log2_effect": effects}
    )


def _example_effects(
    samples: pd.DataFrame, truth: pd.DataFrame, batches: pd.DataFrame
) -> pd.DataFrame:
    """Genes x samples log2 effects of the planted arms plus the batch."""
    parts = [
        effects_for(samples, "arm", arm, group["gene"].tolist(), group["log2_effect"].to_numpy())
        for arm, group in truth.groupby("arm", sort=False)
    ]
    parts.append(
        effects_for(
            samples,
            "batch",
            BATCHES[1],
            batches["gene"].tolist(),
            batches["log2_effect"].to_numpy(),
        )
    )
    return combine_effects(*parts)


def _example_base_means(
    genes: list[str], markers: set[str], rng: np.random.Generator
) -> np.ndarray:
    """Base means with signature genes raised to at least :data:`MARKER_MIN_MEAN`."""
    base = draw_base_means(len(genes), rng)
    is_marker = np.array([g in markers for g in genes])
    return np.where(is_marker, np.maximum(base, MARKER_MIN_MEAN), base)


def make_example_cohort(out_dir: str | Path, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Simulate the example mouse study and write it to ``out_dir``.

    Writes ``counts.tsv.gz`` (genes x samples, first column ``gene_id``, gzip with mtime 0),
    ``samples.tsv``, ``truth.tsv`` (planted arm effects), ``batch_truth.tsv`` and
    ``README.md``. The same seed and NumPy release give byte-identical files.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created if needed).
    seed : int
        Master seed; the design (planted genes and effects, batch genes) and the counts use
        independent streams spawned from it.

    Returns
    -------
    dict of str to Path
        The written files, keyed by file name.
    """
    hallmarks = read_hallmarks("mouse")
    signatures = read_signatures(signatures_path(), "mouse")
    design_seq, count_seq = np.random.SeedSequence(seed).spawn(2)
    design_rng = np.random.default_rng(design_seq)
    samples = example_samples()
    genes = example_genes(hallmarks, signatures)
    truth = plant_truth(hallmarks, signatures, design_rng)
    batches = batch_truth(genes, design_rng)
    markers = {g for s in signatures.sets for g in s.genes}
    base = _example_base_means(genes, markers, design_rng)
    effects = _example_effects(samples, truth, batches)
    counts = simulate_counts(genes, samples, effects, seed=count_seq, base_mean=base)
    return _write_example(Path(out_dir), seed, samples, counts, truth, batches)


def _write_example(
    out: Path,
    seed: int,
    samples: pd.DataFrame,
    counts: pd.DataFrame,
    truth: pd.DataFrame,
    batches: pd.DataFrame,
) -> dict[str, Path]:
    """Write the example files deterministically."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out / name
        for name in ("counts.tsv.gz", "samples.tsv", "truth.tsv", "batch_truth.tsv", "README.md")
    }
    _write_gzip(paths["counts.tsv.gz"], _tsv(counts.reset_index()))
    paths["samples.tsv"].write_bytes(_tsv(samples).encode())
    paths["truth.tsv"].write_bytes(_tsv(truth).encode())
    paths["batch_truth.tsv"].write_bytes(_tsv(batches).encode())
    readme = _example_readme(seed, samples, counts, truth, batches)
    paths["README.md"].write_bytes(readme.encode())
    return paths


def _tsv(frame: pd.DataFrame) -> str:
    """Tab-separated text with ``\\n`` line ends and 3-decimal floats."""
    return frame.to_csv(sep="\t", index=False, lineterminator="\n", float_format="%.3f")


def _write_gzip(path: Path, text: str) -> None:
    """Gzip ``text`` with a fixed header (no file name, mtime 0) so the bytes are reproducible."""
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text.encode())


# ---------------------------------------------------------------------------------------------
# README of the example


def _example_readme(
    seed: int,
    samples: pd.DataFrame,
    counts: pd.DataFrame,
    truth: pd.DataFrame,
    batches: pd.DataFrame,
) -> str:
    """The example's README: simulated-data warning, recipe and the planted truth."""
    out = io.StringIO()
    out.write(_README_HEAD.format(seed=seed, n_genes=counts.shape[0], n_samples=counts.shape[1]))
    out.write(_plant_table(truth))
    out.write(_README_MIDDLE.format(n_batch=len(batches), sd=BATCH_LOG2_SD))
    out.write(_signature_gene_lists(truth))
    out.write(_README_TAIL.format(per_arm=N_PER_ARM, samples_md=_samples_md(samples)))
    return out.getvalue()


def _plant_table(truth: pd.DataFrame) -> str:
    """Markdown table: one row per plant with its range and the number of genes it moved."""
    lines = [
        "| arm (vs vehicle) | gene set | genes shifted | log2 effect per gene |",
        "|---|---|---|---|",
    ]
    counts = truth.groupby(["arm", "source"]).size()
    for plant in PLANTS:
        n = int(counts.get((plant.arm, plant.gene_set), 0))
        share = "" if plant.fraction >= 1 else f" (~{plant.fraction:.0%} of the set)"
        effect = f"{plant.low:+.1f} to {plant.high:+.1f}"
        lines.append(f"| {plant.arm} | `{plant.gene_set}` | {n}{share} | {effect} |")
    return "\n".join(lines) + "\n"


def _signature_gene_lists(truth: pd.DataFrame) -> str:
    """Markdown list of the genes each signature plant shifted."""
    lines = []
    for plant in PLANTS:
        if plant.gene_set.startswith("HALLMARK_"):
            continue
        genes = truth.loc[
            (truth["arm"] == plant.arm) & (truth["source"] == plant.gene_set), "gene"
        ]
        lines.append(f"- {plant.arm}, `{plant.gene_set}`: {', '.join(genes)}")
    return "\n".join(lines) + "\n"


def _samples_md(samples: pd.DataFrame) -> str:
    """Sample layout as a one-line-per-arm summary."""
    lines = []
    for arm, group in samples.groupby("arm", sort=False):
        per_batch = ", ".join(
            f"{b}: {', '.join(g['sample'])}" for b, g in group.groupby("batch", sort=True)
        )
        lines.append(f"- `{arm}`: {per_batch}")
    return "\n".join(lines)


_README_HEAD = """\
# Example cohort: SIMULATED data

> **These counts are SIMULATED. They do not come from any real study, animal or tumour.**
> They exist so that the workflow can be run and tested end to end with a known answer.
> Do not use them as evidence about NKTR-214, chemotherapy or any biology.

A simulated mouse tumour study: three arms (`vehicle`, `NKTR214`, `chemo`) x 6 tumours, two
library-preparation batches (`b1`, `b2`, 3 + 3 within every arm), {n_genes:,} genes x
{n_samples} samples. Gene IDs are MGI symbols (there are no Ensembl IDs): every gene of the
mouse MSigDB Hallmark sets (`../genesets/mh.all.v2022.1.Mm.symbols.gmt`) and of the mouse TME
signatures (`../signatures/tme_signatures.yaml`) under its real symbol, the rest clearly fake
filler genes `Simgene00001`, `Simgene00002`, ...

## How it was made

```
python -m tests.simulate --out workflow/resources/example --seed {seed}
```

run from the repository's root (`make_example_cohort` in `tests/simulate.py`, seed {seed}).
The command reproduces every file here byte for byte with the same NumPy release;
`tests/unit/test_simulate.py` checks that.

Model: negative-binomial counts, mean = size factor x base mean x 2^(log2 effect), variance =
mean + dispersion x mean^2. Base means are log-normal (median 150, sdlog 1.5; signature genes
raised to at least 30 so that every marker is measurable); dispersions follow the DESeq2-like
trend 0.07 + 1.5 / mean with log-normal scatter (sd 0.3); size factors are log-normal around 1
(sdlog 0.25).

## What was planted (the answer the workflow should find)

Effects are log2 fold changes of the expected count relative to `vehicle`; each shifted gene
draws its own effect uniformly from the range given. The exact per-gene effects are in
`truth.tsv` (columns `gene arm log2_effect source`; a gene absent from it has no arm effect).

"""

_README_MIDDLE = """
Rules: a gene keeps the first effect it gets in an arm (the order above); under NKTR214 the Treg
genes are held flat (so `Il2ra`, in both `il2_cd122` and `tregs`, is not shifted there, as
expected of a CD122-biased agonist); the Hallmark shifts never touch `HALLMARK_HYPOXIA` genes,
which stays unchanged apart from the few signature genes it shares (`truth.tsv` lists them).

Expected findings:

- NKTR214 vs vehicle: CD8+ T-cell, NK, effector (IFNG, PRF1, GZMB, GZMA, NKG7), cytolytic
  activity, IFN-gamma 6-gene, IL-2/CD122 and PD-L1 (`Cd274`) scores up; Tregs unchanged, so the
  CD8/Treg ratio rises; `HALLMARK_INTERFERON_GAMMA_RESPONSE` enriched up (and, through shared
  genes, related immune Hallmarks such as IL2_STAT5 or ALLOGRAFT_REJECTION may follow).
- chemo vs vehicle: ICD and M1 scores up; M2 and Treg scores down (so the M1/M2 and CD8/Treg
  ratios rise); `HALLMARK_E2F_TARGETS` and `HALLMARK_G2M_CHECKPOINT` enriched down (cytotoxic
  chemotherapy stops proliferation).
- NKTR214 vs chemo: the difference of the two.
- `HALLMARK_HYPOXIA`: no change in any contrast.

Batch: {n_batch} randomly chosen genes (10%) are shifted in `b2` vs `b1` by log2 effects drawn
from N(0, {sd}) (`batch_truth.tsv`), a real batch effect that PCA shows and that a design
`~ batch + arm` absorbs. Batches are balanced within arms, so arm effects are not confounded.

Genes shifted by each signature plant:

"""

_README_TAIL = """
## Files

| file | content |
|---|---|
| `counts.tsv.gz` | raw integer counts, genes x samples, tab-separated, first column `gene_id` |
| `samples.tsv` | `sample`, `arm` (vehicle, NKTR214, chemo), `batch` (b1, b2), `mouse` (animal) |
| `truth.tsv` | planted arm effects: `gene arm log2_effect source` |
| `batch_truth.tsv` | planted batch effects: `gene batch log2_effect` (b2 vs b1) |

Samples ({per_arm} per arm):

{samples_md}
"""


# ---------------------------------------------------------------------------------------------
# Command line


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m tests.simulate --out DIR [--seed N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulate",
        description="Write the simulated example cohort (counts, samples, planted truth, README).",
    )
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"master seed (default {DEFAULT_SEED})"
    )
    args = parser.parse_args(argv)
    for path in make_example_cohort(args.out, seed=args.seed).values():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
