"""R's default random stream, for the one DESeq2 step that simulates.

With three or fewer residual degrees of freedom, DESeq2's dispersion prior variance comes
from a simulation run after ``set.seed(2)`` (Mersenne-Twister, inversion for normals). Its
estimate moves by a grid step or two with the random stream, and the filtering threshold and
the list of significant genes move with it, so tmeseq reproduces the stream itself:

* seeding: R scrambles the seed with the linear congruential map ``69069 s + 1`` (50 times,
  then once per state word) and starts the Mersenne-Twister at position 624; the tempered
  32-bit outputs are numpy's ``MT19937`` given that state;
* uniforms: ``output * 2^-32``, moved off 0 and 1;
* normals (inversion): ``qnorm((floor(2^27 u1) + u2) / 2^27)``;
* exponentials: Ahrens & Dieter (1972) algorithm SA;
* gamma variates (for ``rchisq(n, df) = rgamma(df / 2, scale = 2)``): Ahrens & Dieter (1982)
  algorithm GD for shape >= 1 and (1974) algorithm GS for shape < 1.

Each generator consumes a variable number of uniforms, so variates are drawn from a buffer of
uniforms with an explicit read position. The common accept paths of algorithm GD are
evaluated for every buffer position at once; rarer paths run scalar code.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

TWO_POW_M32 = 2.3283064365386963e-10
#: 1 / (2^32 - 1), R's ``i2_32m1`` (used to keep uniforms inside (0, 1)).
I2_32M1 = 2.328306437080797e-10
BIG = 134217728.0
#: Coefficients of algorithm SA: ``q[k] = sum_{j=1..k+1} log(2)^j / j!``.
SA_Q = np.cumsum([math.log(2) ** j / math.factorial(j) for j in range(1, 17)])

# Algorithm GD constants (Ahrens & Dieter 1982, as in R's rgamma.c).
GD_Q = (0.04166669, 0.02083148, 0.00801191, 0.00144121, -7.388e-5, 2.4511e-4, 2.424e-4)
GD_A = (0.3333333, -0.250003, 0.2000062, -0.1662921, 0.1423657, -0.1367177, 0.1233795)
SQRT32 = 5.656854
#: Algorithm GD rejects Laplace proposals below this (tau(1) of the paper).
TAU = -0.71874483771719
#: Uniforms looked ahead when tabulating a rejection attempt (exponential + one uniform).
LOOKAHEAD = SA_Q.size + 3
EXP_M1 = 0.36787944117144232159


def _scrambled_state(seed: int) -> np.ndarray:
    """The 624 Mersenne-Twister words R's ``set.seed(seed)`` produces."""
    value = seed & 0xFFFFFFFF
    for _ in range(50):
        value = (69069 * value + 1) & 0xFFFFFFFF
    words = []
    for _ in range(625):
        value = (69069 * value + 1) & 0xFFFFFFFF
        words.append(value)
    return np.array(words[1:], dtype=np.uint32)


class RStream:
    """Uniforms, normals and chi-squared variates identical to R's after ``set.seed``.

    Parameters
    ----------
    seed : int
        The argument of R's ``set.seed``.
    """

    def __init__(self, seed: int) -> None:
        self._bits = np.random.MT19937()
        self._bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": _scrambled_state(seed), "pos": 624},
        }
        self._buffer = np.empty(0)
        self._pos = 0
        self._generation = 0

    # -- uniforms ----------------------------------------------------------------------------

    def _fresh(self, n: int) -> np.ndarray:
        raw = self._bits.random_raw(n).astype(np.float64) * TWO_POW_M32
        raw[raw <= 0.0] = 0.5 * I2_32M1
        raw[1.0 - raw <= 0.0] = 1.0 - 0.5 * I2_32M1
        return raw

    def _ensure(self, n: int) -> None:
        """Make at least ``n`` unread uniforms available."""
        available = self._buffer.size - self._pos
        if available < n:
            more = self._fresh(max(n - available, 65536))
            self._buffer = np.concatenate([self._buffer[self._pos :], more])
            self._pos = 0
            self._generation += 1

    def uniform(self, n: int) -> np.ndarray:
        """The next ``n`` uniforms (R ``runif(n)``)."""
        self._ensure(n)
        out = self._buffer[self._pos : self._pos + n]
        self._pos += n
        return out

    def _next(self) -> float:
        self._ensure(1)
        value = float(self._buffer[self._pos])
        self._pos += 1
        return value

    # -- normals and exponentials ------------------------------------------------------------

    def normal(self, n: int, sd: float = 1.0) -> np.ndarray:
        """R ``rnorm(n, 0, sd)``; with ``sd == 0`` R draws nothing and returns zeros."""
        if sd == 0:
            return np.zeros(n)
        pairs = self.uniform(2 * n).reshape(n, 2)
        return sd * _inversion(pairs[:, 0], pairs[:, 1])

    def _normal_scalar(self) -> float:
        u1 = self._next()
        return float(_inversion(np.array([u1]), np.array([self._next()]))[0])

    def _exponential(self) -> float:
        """R ``exp_rand()`` (algorithm SA)."""
        a = 0.0
        u = self._next()
        while True:
            u += u
            if u > 1.0:
                break
            a += SA_Q[0]
        u -= 1.0
        if u <= SA_Q[0]:
            return a + u
        i = 0
        smallest = self._next()
        while True:
            candidate = self._next()
            smallest = min(smallest, candidate)
            i += 1
            if u <= SA_Q[i]:
                break
        return a + smallest * SA_Q[0]

    # -- chi-squared -------------------------------------------------------------------------

    def chisq(self, n: int, df: float) -> np.ndarray:
        """R ``rchisq(n, df)``: ``n`` gamma(df/2, scale 2) variates in R's order."""
        shape = df / 2.0
        if shape < 1.0:
            return np.array([2.0 * self._gamma_gs(shape) for _ in range(n)])
        return 2.0 * self._gamma_gd(n, shape)

    def _gamma_gs(self, a: float) -> float:
        """Algorithm GS (shape < 1), one variate."""
        e = 1.0 + EXP_M1 * a
        while True:
            p = e * self._next()
            if p >= 1.0:
                x = -math.log((e - p) / a)
                if self._exponential() >= (1.0 - a) * math.log(x):
                    return x
            else:
                x = math.exp(math.log(p) / a)
                if self._exponential() >= x:
                    return x

    def _gamma_gd(self, n: int, a: float) -> np.ndarray:
        """Algorithm GD (shape >= 1), ``n`` variates."""
        constants = _GDConstants(a)
        values: list[float] = []
        generation, origin = -1, 0
        tables = _GDTables.empty()
        while len(values) < n:
            self._ensure(3 * (n - len(values)) + 256)
            if generation != self._generation:
                window = self._buffer[self._pos : self._pos + 3 * (n - len(values)) + 256]
                tables = _GDTables.build(constants, window)
                generation, origin = self._generation, self._pos
            offset = _walk(tables.value, tables.used, self._pos - origin, n - len(values), values)
            self._pos = origin + offset
            if len(values) == n:
                break
            if offset >= len(tables.used):
                generation = -1
                continue
            drawn = tables.rejection(offset + 3)
            if drawn is None:
                values.append(self._gamma_gd_slow(constants))
                generation = -1
            else:
                values.append(drawn[0])
                self._pos = origin + drawn[1]
        return np.array(values)

    def _gamma_gd_slow(self, g: _GDConstants) -> float:
        """Algorithm GD for one variate, all paths, reading from the stream."""
        t = self._normal_scalar()
        x = g.s + 0.5 * t
        if t >= 0.0:
            return x * x
        u = self._next()
        if g.d * u <= t * t * t:
            return x * x
        if x > 0.0 and math.log(1.0 - u) <= g.quotient_scalar(t):
            return x * x
        while True:
            e = self._exponential()
            u = self._next()
            u = u + u - 1.0
            t = g.b - g.si * e if u < 0.0 else g.b + g.si * e
            if t < TAU:
                continue
            q = g.quotient_scalar(t)
            if q > 0.0 and g.c * abs(u) <= math.expm1(q) * math.exp(e - 0.5 * t * t):
                x = g.s + 0.5 * t
                return x * x


def _walk(
    fast_value: list[float], fast_used: list[int], offset: int, wanted: int, out: list[float]
) -> int:
    """Follow fast-path variates from ``offset`` until ``wanted`` are drawn or a slow one."""
    limit = len(fast_used)
    while wanted and offset < limit:
        used = fast_used[offset]
        if not used:
            break
        out.append(fast_value[offset])
        offset += used
        wanted -= 1
    return offset


def _inversion(u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
    """R's inversion normals from pairs of uniforms."""
    return ndtri((np.trunc(BIG * u1) + u2) / BIG)


class _GDConstants:
    """Shape-dependent constants of algorithm GD, and its vectorised fast paths."""

    def __init__(self, a: float) -> None:
        self.a = a
        self.s2 = a - 0.5
        self.s = math.sqrt(self.s2)
        self.d = SQRT32 - self.s * 12.0
        r = 1.0 / a
        q0 = 0.0
        for coef in reversed(GD_Q):
            q0 = (q0 + coef) * r
        self.q0 = q0
        if a <= 3.686:
            self.b = 0.463 + self.s + 0.178 * self.s2
            self.si = 1.235
            self.c = 0.195 / self.s - 0.079 + 0.16 * self.s
        elif a <= 13.022:
            self.b = 1.654 + 0.0076 * self.s2
            self.si = 1.68 / self.s + 0.275
            self.c = 0.062 / self.s + 0.024
        else:
            self.b = 1.77
            self.si = 0.75
            self.c = 0.1515 / self.s

    def quotient(self, t: float | np.ndarray) -> float | np.ndarray:
        """The log quotient ``q(t)`` of steps 6 and 10."""
        v = t / (self.s + self.s)
        series: float | np.ndarray = 0.0
        for coef in reversed(GD_A):
            series = (series + coef) * v
        small = self.q0 + 0.5 * t * t * series
        with np.errstate(invalid="ignore", divide="ignore"):
            large = self.q0 - self.s * t + 0.25 * t * t + (self.s2 + self.s2) * np.log(1.0 + v)
        return np.where(np.abs(v) <= 0.25, small, large)

    def quotient_scalar(self, t: float) -> float:
        """:meth:`quotient` for one value, with ``math``."""
        v = t / (self.s + self.s)
        if abs(v) <= 0.25:
            series = 0.0
            for coef in reversed(GD_A):
                series = (series + coef) * v
            return self.q0 + 0.5 * t * t * series
        return self.q0 - self.s * t + 0.25 * t * t + (self.s2 + self.s2) * math.log(1.0 + v)

    def fast_paths(self, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Value and uniforms used of a variate starting at each position, if it is accepted
        by the immediate, squeeze or quotient test (used = 0 otherwise)."""
        n = uniforms.size - 2
        if n <= 0:
            return np.empty(0), np.zeros(0, dtype=np.int64)
        t = _inversion(uniforms[:n], uniforms[1 : n + 1])
        u = uniforms[2 : n + 2]
        x = self.s + 0.5 * t
        immediate = t >= 0.0
        squeeze = self.d * u <= t * t * t
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = (x > 0.0) & (np.log(1.0 - u) <= self.quotient(t))
        used = np.where(immediate, 2, np.where(squeeze | quotient, 3, 0))
        return x * x, used.astype(np.int64)


#: ``SA_A[k]``: ``q[0]`` added ``k`` times, in R's order of summation.
SA_A = np.concatenate([[0.0], np.cumsum(np.full(80, SA_Q[0]))])


def _exponentials(uniforms: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm SA started at each of the first ``n`` positions: values and uniforms used.

    SA doubles ``u`` until it exceeds 1, adding ``q[0]`` per doubling that stays <= 1; with
    ``u = m 2^e`` (``0.5 <= m < 1``) that takes ``1 - e`` doublings, one more if ``m = 0.5``.
    """
    u0 = uniforms[:n]
    mantissa, exponent = np.frexp(u0)
    doublings = 1 - exponent + (mantissa == 0.5)
    u = np.ldexp(u0, doublings) - 1.0
    a = SA_A[doublings - 1]
    simple = u <= SA_Q[0]
    extra = np.where(simple, 0, np.searchsorted(SA_Q, u, side="left"))
    smallest = uniforms[1 : n + 1].copy()
    for k in range(1, int(extra.max(initial=0)) + 1):
        more = extra >= k
        smallest[more] = np.minimum(smallest[more], uniforms[1 + k : n + 1 + k][more])
    value = np.where(simple, a + u, a + smallest * SA_Q[0])
    used = np.where(simple, 1, 2 + extra)
    return value, used


class _GDTables:
    """Algorithm GD evaluated at every start position of a buffer of uniforms.

    ``value``/``used``: a variate accepted by the immediate, squeeze or quotient test
    (``used == 0`` if not). ``attempt_*``: one rejection-loop attempt (steps 8 to 11).
    """

    def __init__(
        self,
        value: list[float],
        used: list[int],
        attempt_value: list[float],
        attempt_used: list[int],
        attempt_accept: list[bool],
    ) -> None:
        self.value, self.used = value, used
        self.attempt_value, self.attempt_used = attempt_value, attempt_used
        self.attempt_accept = attempt_accept

    @classmethod
    def empty(cls) -> _GDTables:
        return cls([], [], [], [], [])

    @classmethod
    def build(cls, g: _GDConstants, uniforms: np.ndarray) -> _GDTables:
        value, used = g.fast_paths(uniforms)
        n = uniforms.size - LOOKAHEAD
        if n <= 0:
            return cls(value.tolist(), used.tolist(), [], [], [])
        e, e_used = _exponentials(uniforms, n)
        u = uniforms[np.arange(n) + e_used]
        u = u + u - 1.0
        t = np.where(u < 0.0, g.b - g.si * e, g.b + g.si * e)
        q = np.asarray(g.quotient(np.maximum(t, TAU)))
        with np.errstate(over="ignore", invalid="ignore"):
            hat = g.c * np.abs(u) <= np.expm1(q) * np.exp(e - 0.5 * t * t)
        accept = (t >= TAU) & (q > 0.0) & hat
        x = g.s + 0.5 * t
        return cls(
            value.tolist(), used.tolist(), (x * x).tolist(), (e_used + 1).tolist(), accept.tolist()
        )

    def rejection(self, position: int) -> tuple[float, int] | None:
        """Run the rejection loop from ``position``: (variate, next position), or None when
        the tables end before an attempt is accepted."""
        limit = len(self.attempt_used)
        while position < limit:
            if self.attempt_accept[position]:
                return self.attempt_value[position], position + self.attempt_used[position]
            position += self.attempt_used[position]
        return None
