"""The result every reader returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import pandas as pd

from tmeseq.settings import CountFormat

#: The count formats :func:`tmeseq.readers.read_counts` understands (the config's, less "auto").
FORMATS = tuple(name for name in get_args(CountFormat) if name != "auto")


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
    """

    counts: pd.DataFrame
    format: str
    estimated: bool
    symbols: pd.Series | None
    sources: dict[str, str]
