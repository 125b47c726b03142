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


def check(counts, samples=None, estimated=False, min_genes=0):
    return check_counts(
        counts,
        samples or list(counts.columns),
        estimated=estimated,
        counts_file="counts.tsv",
        sheet_file="samples.tsv",
        min_genes=min_genes,
    )


def cohort(n_genes=150, samples=("a", "b", "c", "d"), seed=0):
    """Genes x samples integer counts, every gene with counts."""
    values = np.random.default_rng(seed).integers(1, 500, size=(n_genes, len(samples)))
    return table(values.tolist(), samples=list(samples))


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


def test_count_columns_map_to_sample_names():
    counts = table([[1, 2, 3], [4, 5, 6]], samples=["x.bam", "y.bam", "z.bam"])
    result = check(counts, samples={"S-y": "y.bam", "S-x": "x.bam"})
    assert list(result.counts.columns) == ["S-y", "S-x"]
    assert result.counts["S-y"].tolist() == [2, 5]
    assert result.ignored_columns == ["z.bam"]


def test_missing_count_column_names_sample_and_column():
    counts = table([[1, 2]], samples=["x.bam", "y.bam"])
    with pytest.raises(InputError) as e:
        check(counts, samples={"S-x": "x.bam", "S-y": "Y.bam"})
    message = str(e.value)
    assert "'S-y' (count column 'Y.bam')" in message
    assert "'Y.bam' -> 'y.bam'?" in message
    assert "count_column" in message


def test_counts_above_2_to_the_53_name_gene_sample_and_value():
    counts = table([[1, 2], [1e19, 5]])
    with pytest.raises(InputError) as e:
        check(counts)
    assert "count 1e+19 for gene 'g1', sample 's0' is larger than 2**53" in str(e.value)
    assert "row 'g1', column 's0'" in str(e.value)


def test_infinite_count_is_too_large():
    with pytest.raises(InputError, match=r"count inf for gene 'g0', sample 's1'"):
        check(table([[1, np.inf], [2, 3]]))


def test_a_handful_of_genes_cannot_be_tested():
    with pytest.raises(InputError) as e:
        check(table([[1, 2], [3, 4], [0, 0]]), min_genes=100)
    assert "only 2 of 3 gene(s) have any counts; at least 100 are needed" in str(e.value)
    assert "counts.tsv" in str(e.value)


def test_enough_genes_pass_the_default_minimum():
    result = check_counts(cohort(), ["a", "b", "c", "d"], estimated=False, counts_file="c.tsv")
    assert result.counts.shape == (150, 4)


def test_libraries_detecting_few_genes_are_named_in_a_warning(caplog):
    counts = cohort()
    counts.loc[counts.index[1:], "c"] = 0
    counts.loc[counts.index[1:], "d"] = 0
    with caplog.at_level(logging.WARNING):
        check(counts)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2 libraries detect far fewer genes than the median" in warnings[0]
    assert "'c' (1 genes), 'd' (1 genes)" in warnings[0]


def test_similar_libraries_raise_no_warning(caplog):
    with caplog.at_level(logging.WARNING):
        check(cohort())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
