"""The result every reader returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import pandas as pd

from tmeseq.settings import CountFormat

#: The count formats :func:`tmeseq.readers.read_counts` understands (the config's, less "auto").
FORMATS = tuple(name for name in get_args(CountFormat) if name != "auto")


@dataclass(frozen=True, eq=False)
class GeneLengths:
    """Gene lengths (base pairs) a count input carries.

    Attributes
    ----------
    per_gene : pandas.Series
        One length per gene, float64, indexed like the counts (NaN where unknown). For
        per-sample lengths, their mean across samples (missing values skipped).
    per_sample : pandas.DataFrame or None
        Genes x samples, float64, same index and columns as the counts, when each sample has
        its own lengths (salmon, kallisto, RSEM, nf-core ``gene_lengths`` tables); else None.
    source : str
        What the lengths are, e.g. ``"featureCounts Length column"``.
    """

    per_gene: pd.Series
    per_sample: pd.DataFrame | None
    source: str

    @classmethod
    def from_genes(cls, values: pd.Series, source: str) -> GeneLengths:
        """One length per gene (featureCounts, a GTF); text and blanks become NaN."""
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        return cls(per_gene=numbers.rename("length"), per_sample=None, source=source)

    @classmethod
    def from_samples(cls, values: pd.DataFrame, source: str) -> GeneLengths:
        """Per-sample lengths (genes x samples); ``per_gene`` is their mean across samples."""
        numbers = values.apply(pd.to_numeric, errors="coerce").astype("float64")
        mean = numbers.mean(axis=1, skipna=True).rename("length")
        return cls(per_gene=mean, per_sample=numbers, source=source)


@dataclass(frozen=True, eq=False)
class CountTable:
    """A genes x samples count table as read from the user's files, values untouched.

    Attributes
    ----------
    counts : pandas.DataFrame
        Genes x samples. Index: gene IDs as written in the file (named ``gene_id``,
        duplicates kept); columns: sample names as strings.
    format : str
        The format read (one of :data:`FORMATS`), also when it was detected.
    estimated : bool
        True when the values are a quantifier's estimates and may be non-integer
        (salmon, kallisto, RSEM, nf-core salmon/RSEM tables).
    symbols : pandas.Series or None
        Gene ID -> gene symbol when the file itself carries symbols, else None.
    sources : dict of str to str
        Sample -> the file its counts came from.
    lengths : GeneLengths or None
        Gene lengths when the input carries them (featureCounts ``Length``, RSEM
        ``effective_length``, salmon/kallisto via pytximport, nf-core ``gene_lengths``), else
        None.
    """

    counts: pd.DataFrame
    format: str
    estimated: bool
    symbols: pd.Series | None
    sources: dict[str, str]
    lengths: GeneLengths | None = None
