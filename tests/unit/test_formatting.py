"""Numbers as a person reads them: rounded, bounded, never a false zero."""

from __future__ import annotations

import math

import pytest

from tmeseq.formatting import format_number, format_p, permutation_floor


def test_p_values_are_rounded_and_small_ones_written_in_exponent_form() -> None:
    assert format_p(0.03127) == "0.031"
    assert format_p(0.5) == "0.5"
    assert format_p(4.2e-5) == "4.2e-05"
    assert format_p(math.nan) == "NA"
    assert format_p(None) == "NA"


def test_permutation_p_values_are_never_zero() -> None:
    floor = permutation_floor(1000)
    assert floor == pytest.approx(0.001)
    assert format_p(0.0, floor=floor) == "< 0.001"
    assert format_p(0.0004, floor=floor) == "< 0.001"
    assert format_p(0.002, floor=floor) == "0.002"
    assert format_p(0.0) == "< 1e-300"
    with pytest.raises(ValueError, match="permutations"):
        permutation_floor(0)


def test_numbers_are_rounded_signed_and_without_negative_zero() -> None:
    assert format_number(1.76060363) == "1.76"
    assert format_number(1.76060363, signed=True) == "+1.76"
    assert format_number(-0.001, signed=True) == "0.00"
    assert format_number(-1.4537, 1) == "-1.5"
    assert format_number(math.nan) == "NA"
