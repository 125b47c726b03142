"""How numbers read in figures and the report: rounded, labelled, never a false zero.

The TSV tables keep full precision; what a person reads (figure labels, the HTML report) goes
through these functions, so a value is written the same way everywhere.
"""

from __future__ import annotations

import math

#: Shown for a missing value.
MISSING = "NA"


def permutation_floor(permutations: int) -> float:
    """The smallest p-value (or FDR) a permutation test with ``permutations`` draws can
    resolve: ``1 / permutations``. A reported 0 means "below this", never zero."""
    if permutations < 1:
        raise ValueError(f"permutations must be >= 1, got {permutations}")
    return 1.0 / permutations


def format_p(value: float | None, *, floor: float | None = None) -> str:
    """A p-value or adjusted p-value for reading.

    Parameters
    ----------
    value : float or None
        The value (NaN/None: missing).
    floor : float, optional
        The resolution of the test (e.g. :func:`permutation_floor`); a value below it, zero
        included, is written ``< floor``.

    Returns
    -------
    str
        Two significant digits (``0.031``, ``4.2e-05``), ``< 0.001`` below ``floor``, ``NA``.
    """
    if value is None or math.isnan(value):
        return MISSING
    if floor is not None and value < floor:
        return f"< {_significant(floor)}"
    if value == 0:
        return "< 1e-300"
    return _significant(value)


def _significant(value: float, digits: int = 2) -> str:
    if value >= 0.001:
        return f"{value:.{digits}g}"
    return f"{value:.{digits - 1}e}"


def format_number(value: float | None, digits: int = 2, *, signed: bool = False) -> str:
    """A difference, fold change or score rounded to ``digits`` decimals (``NA`` if missing).

    With ``signed``, positive values carry a ``+`` so that a direction reads at a glance.
    """
    if value is None or math.isnan(value):
        return MISSING
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return "0." + "0" * digits if text.lstrip("+-") == "0." + "0" * digits else text
