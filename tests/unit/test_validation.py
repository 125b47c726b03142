import logging

import numpy as np
import pandas as pd
import pytest

from tmeseq.errors import InputError
from tmeseq.validation import check_counts


def table(values, genes=None, samples=None):
    genes = genes or [f"g{i}" for i in range(len(values))]
    samples = samples or [f"s{j}" for j in range(len(values[0]))]
    return pd.DataFrame(values, index=genes, columns=samples, dtype=object)


def check(counts, samples=None, estimated=False):
    return check_counts(
        counts,
        samples or list(counts.columns),
        estimated=estimated,
        counts_file="counts.tsv",
        sheet_file="samples.tsv",
    )


def test_valid_counts_align_to_sheet_order():
    result = check(table([[1, 2], [3, 4]]), samples=["s1", "s0"])
    assert list(result.counts.columns) == ["s1", "s0"]
    assert result.counts.loc["g1", "s0"] == 3
    assert result.counts.dtypes.unique().tolist() == [np.dtype("int64")]


def test_samples_missing_from_counts_are_listed_with_hint():
    with pytest.raises(
        InputError,
        match=r"2 sample\(s\) of the sample sheet are not in the counts"
        r": 'S0', 'zz'",
    ) as e:
        check(table([[1, 2]]), samples=["S0", "zz", "s1"])
    assert "'S0' -> 's0'?" in str(e.value)


def test_extra_count_columns_warned_and_ignored(caplog):
    with caplog.at_level(logging.WARNING):
        result = check(table([[1, 2, 3]]), samples=["s0", "s2"])
    assert result.ignored_columns == ["s1"]
    assert "not in the sample sheet and are ignored: 's1'" in caplog.text


def test_duplicate_gene_ids():
    with pytest.raises(InputError, match=r"1 gene ID\(s\) appear more than once: 'g1'"):
        check(table([[1], [2], [3]], genes=["g1", "g2", "g1"]))


def test_negative_count_names_gene_and_sample():
    with pytest.raises(InputError, match=r"negative count -3 for gene 'g1', sample 's1'"):
        check(table([[1, 2], [4, -3]]))


def test_missing_count_names_gene_and_sample():
    with pytest.raises(InputError, match=r"missing count for gene 'g0', sample 's1'"):
        check(table([[1, np.nan], [4, 5]]))


def test_non_numeric_count_names_gene_and_sample():
    with pytest.raises(InputError, match=r"non-numeric count 'abc' for gene 'g1', sample 's0'"):
        check(table([[1, 2], ["abc", 5]]))


def test_non_integer_read_counts_are_an_error():
    with pytest.raises(InputError, match=r"non-integer count 2.5 for gene 'g0', sample 's1'"):
        check(table([[1, 2.5], [4, 5]]))


def test_estimated_counts_are_rounded_with_note(caplog):
    with caplog.at_level(logging.INFO):
        result = check(table([[1.4, 2.5], [4.0, 5.6]]), estimated=True)
    assert result.counts.to_numpy().tolist() == [[1, 2], [4, 6]]
    assert result.n_rounded == 3
    assert "rounded 3 estimated count(s)" in caplog.text


def test_zero_total_sample():
    with pytest.raises(InputError, match=r"sample\(s\) 's1' have zero counts in total"):
        check(table([[1, 0], [4, 0]]))
