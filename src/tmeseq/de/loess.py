"""One-dimensional ``loess`` (degree 2, gaussian family) as R's ``stats::loess`` computes it.

R's default ``surface = "interpolate"`` does not fit at every point: it builds a k-d tree
over ``x`` (cells are split at the median until they hold at most ``floor(n * span * cell)``
points), fits the local regression only at the cell vertices, keeping the fitted value and
slope there, and evaluates between vertices by cubic Hermite interpolation. DESeq2 smooths
its Kullback-Leibler curve this way before taking the minimum, so the interpolation (not only
the local fit) is needed to land on R's value.
"""

from __future__ import annotations

import numpy as np


def local_fit(x: np.ndarray, y: np.ndarray, at: float, span: float) -> tuple[float, float]:
    """Local quadratic fit with tricube weights at ``at``: value and slope there.

    The neighbourhood is the ``floor(n * span)`` nearest points; weights are
    ``(1 - (d / r)^3)^3`` with ``r`` the distance to the farthest of them.

    Parameters
    ----------
    x, y : numpy.ndarray
        Data.
    at : float
        Where to fit.
    span : float
        Fraction of points in the neighbourhood (< 1).

    Returns
    -------
    tuple of float
        Fitted value and first derivative at ``at``.
    """
    q = int(np.floor(x.size * span + 1e-5))
    distance = np.abs(x - at)
    radius = np.sort(distance)[q - 1]
    weights = np.clip(1.0 - (distance / radius) ** 3, 0.0, None) ** 3
    basis = np.column_stack([np.ones_like(x), x - at, (x - at) ** 2])
    root = np.sqrt(weights)
    coef, *_ = np.linalg.lstsq(basis * root[:, None], y * root, rcond=None)
    return float(coef[0]), float(coef[1])


def loess_direct(x: np.ndarray, y: np.ndarray, at: np.ndarray, span: float) -> np.ndarray:
    """R ``loess(y ~ x, span, surface = "direct")`` evaluated at ``at``."""
    return np.array([local_fit(x, y, point, span)[0] for point in at])


def kd_vertices(x: np.ndarray, span: float, cell: float = 0.2) -> np.ndarray:
    """Vertices of R's k-d tree over one-dimensional ``x`` (sorted, unique).

    The bounding interval is widened by 0.5 % of the range at each end. A cell with more
    than ``floor(n * span * cell)`` points is split at its lower median (the split moves to
    the nearest non-tied position when the median is tied), unless the split point is one
    of the cell's ends.

    Parameters
    ----------
    x : numpy.ndarray
        Data.
    span, cell : float
        R's ``span`` and ``loess.control(cell)``.

    Returns
    -------
    numpy.ndarray
        Vertex positions.
    """
    xs = np.sort(np.asarray(x, dtype=float))
    margin = 0.005 * max(xs[-1] - xs[0], 1e-10 * max(abs(xs[0]), abs(xs[-1])) + 1e-30)
    vertices = [xs[0] - margin, xs[-1] + margin]
    capacity = int(np.floor(xs.size * span * cell))
    pending = [(0, xs.size - 1, vertices[0], vertices[1])]
    while pending:
        low, high, left, right = pending.pop(0)
        if high - low + 1 <= capacity:
            continue
        split = _split_index(xs, low, high)
        value = xs[split]
        if value in (left, right):
            continue
        vertices.append(value)
        pending += [(low, split, left, value), (split + 1, high, value, right)]
    return np.unique(vertices)


def _split_index(xs: np.ndarray, low: int, high: int) -> int:
    """Lower median of ``xs[low..high]``, moved off ties (offsets +1, -1, +2, -2, ...)."""
    middle = (low + high) // 2
    offset = 0
    while low <= middle + offset < high:
        if xs[middle + offset] != xs[middle + offset + 1]:
            return middle + offset
        offset = -offset if offset > 0 else -offset + 1
    return middle


def loess_interpolate(
    x: np.ndarray, y: np.ndarray, at: np.ndarray, span: float, cell: float = 0.2
) -> np.ndarray:
    """R ``loess(y ~ x, span)`` (degree 2, ``surface = "interpolate"``) evaluated at ``at``.

    Parameters
    ----------
    x, y : numpy.ndarray
        Data.
    at : numpy.ndarray
        Evaluation points, inside the range of ``x``.
    span, cell : float
        R's ``span`` and ``cell``.

    Returns
    -------
    numpy.ndarray
        Smoothed values at ``at``.
    """
    vertices = kd_vertices(x, span, cell)
    fits = np.array([local_fit(x, y, v, span) for v in vertices])
    index = np.clip(np.searchsorted(vertices, at, side="left") - 1, 0, vertices.size - 2)
    left, right = vertices[index], vertices[index + 1]
    width = right - left
    h = (at - left) / width
    phi0 = (1 - h) ** 2 * (1 + 2 * h)
    phi1 = h**2 * (3 - 2 * h)
    psi0 = h * (1 - h) ** 2
    psi1 = h**2 * (h - 1)
    values = phi0 * fits[index, 0] + phi1 * fits[index + 1, 0]
    return values + (psi0 * fits[index, 1] + psi1 * fits[index + 1, 1]) * width
