import anndata as ad
import numpy as np
import pandas as pd
import pytest
from snakemake.utils import validate

from tests.helpers import REPO, gene_id, small_counts
from tmeseq.de import contrast_results, model_from_anndata
from tmeseq.design import (
    check_contrasts,
    check_design,
    check_reference_levels,
    confounded_terms,
)
from tmeseq.errors import InputError
from tmeseq.settings import Contrast, Settings, reference_levels
from tmeseq.steps.de import run_fit

CONTRAST = {"name": "trt_vs_ctrl", "variable": "arm", "test": "trt", "reference": "ctrl"}


@pytest.fixture
def sheet():
    return pd.DataFrame(
        {
            "sample": [f"s{i}" for i in range(6)],
            "arm": ["ctrl", "trt", "ctrl", "trt", "ctrl", "trt"],
            "batch": ["b1", "b1", "b2", "b2", "b1", "b2"],
            "dose": ["0", "1", "0", "1", "0", "2"],
            "lane": ["1", "1", "1", "2", "2", "2"],
        }
    ).set_index("sample", drop=False)


def test_valid_design_returns_matrix(sheet):
    matrix = check_design(sheet, "~ batch + arm")
    assert list(matrix.columns) == ["Intercept", "batch[T.b2]", "arm[T.trt]"]
    assert matrix.shape == (6, 3)


def test_numeric_column_is_continuous_unless_categorical(sheet):
    assert "lane" in check_design(sheet, "~ lane + arm").columns
    assert "lane[T.2]" in check_design(sheet, "~ lane + arm", ["lane"]).columns


def test_design_missing_column_lists_columns(sheet):
    with pytest.raises(InputError, match=r"uses 'cell', not column\(s\) of the sample sheet") as e:
        check_design(sheet, "~ cell + arm", config_file="cfg.yaml")
    assert "its columns: sample, arm, batch, dose, lane" in str(e.value)
    assert "cfg.yaml, key de.design" in str(e.value)


def test_design_not_full_rank_names_confounded_terms(sheet):
    sheet["group"] = sheet["arm"].map({"ctrl": "g1", "trt": "g2"})
    with pytest.raises(InputError, match=r"not of full rank") as e:
        check_design(sheet, "~ group + arm")
    assert "'arm[T.trt]' = combination of 'Intercept', 'group[T.g2]'" in str(e.value) or (
        "'arm[T.trt]' = combination of 'group[T.g2]'" in str(e.value)
    )


def test_design_too_many_coefficients(sheet):
    sheet["id"] = [f"p{i}" for i in range(6)]
    with pytest.raises(InputError, match=r"no residual degrees of freedom"):
        check_design(sheet, "~ id + arm")


def test_design_unparsable(sheet):
    with pytest.raises(InputError, match=r"cannot be parsed"):
        check_design(sheet, "~ arm +")


def test_confounded_terms_direct():
    matrix = pd.DataFrame({"a": [1.0, 1, 1, 1], "b": [0.0, 1, 0, 1], "c": [1.0, 0, 1, 0]})
    assert confounded_terms(matrix) == [("c", ["a", "b"])]


def test_contrast_variable_not_a_column(sheet):
    bad = {**CONTRAST, "variable": "treatment"}
    with pytest.raises(InputError, match=r"contrast variable 'treatment' is not a column"):
        check_contrasts(sheet, [bad], "~ arm")


def test_contrast_level_absent_shows_levels(sheet):
    bad = {**CONTRAST, "test": "Trt"}
    with pytest.raises(
        InputError, match=r"test level 'Trt' does not occur in column 'arm'.*'ctrl', 'trt'"
    ):
        check_contrasts(sheet, [bad], "~ arm")


def test_contrast_test_equals_reference(sheet):
    bad = {**CONTRAST, "test": "ctrl"}
    with pytest.raises(InputError, match=r"test and reference are the same level \('ctrl'\)"):
        check_contrasts(sheet, [bad], "~ arm")


@pytest.mark.parametrize("name", ["a/b", "../x", "a b", "-x", ""])
def test_contrast_name_unsafe(sheet, name):
    with pytest.raises(InputError, match=r"is not a safe file name"):
        check_contrasts(sheet, [{**CONTRAST, "name": name}], "~ arm")


def test_contrast_name_repeated(sheet):
    with pytest.raises(InputError, match=r"used twice"):
        check_contrasts(sheet, [CONTRAST, CONTRAST], "~ arm")


def test_contrast_variable_not_in_design(sheet):
    with pytest.raises(InputError, match=r"not in the design '~ batch'"):
        check_contrasts(sheet, [CONTRAST], "~ batch")


def test_design_column_with_missing_value(sheet):
    sheet.loc["s2", "batch"] = None
    with pytest.raises(InputError, match=r"column 'batch' is used in the design but is empty"):
        check_design(sheet, "~ batch + arm")


def test_coefficient_contrast_checked_against_design(sheet):
    matrix = check_design(sheet, "~ batch * arm")
    good = {"name": "trt_in_b2", "coefficients": {"arm[T.trt]": 1, "batch[T.b2]:arm[T.trt]": 1}}
    check_contrasts(sheet, [good], "~ batch * arm", coefficients=list(matrix.columns))
    bad = {"name": "typo", "coefficients": {"arm[trt]": 1}}
    with pytest.raises(InputError, match=r"coefficient\(s\) 'arm\[trt\]' are not in the design"):
        check_contrasts(sheet, [bad], "~ batch * arm", coefficients=list(matrix.columns))
    zero = {"name": "zero", "coefficients": {"arm[T.trt]": 0}}
    with pytest.raises(InputError, match=r"every coefficient weight is 0"):
        check_contrasts(sheet, [zero], "~ batch * arm", coefficients=list(matrix.columns))


def test_reference_levels_from_first_contrast_per_variable(sheet):
    contrasts = [
        {"name": "a", "variable": "arm", "test": "trt", "reference": "ctrl"},
        {"name": "b", "variable": "arm", "test": "ctrl", "reference": "trt"},
        {"name": "c", "coefficients": {"Intercept": 1}},
    ]
    assert reference_levels(tuple(Contrast.from_config(c) for c in contrasts)) == {"arm": "ctrl"}
    matrix = check_design(sheet, "~ arm", references={"arm": "trt"})
    assert list(matrix.columns) == ["Intercept", "arm[T.ctrl]"]


@pytest.mark.parametrize("name", ["summary", "coverage", "sample_scores", "x.collections"])
def test_contrast_names_that_collide_with_outputs_are_rejected(name):
    sheet = pd.DataFrame(
        {"sample": ["a", "b", "c", "d"], "arm": ["ctrl", "ctrl", "trt", "trt"]},
        index=["a", "b", "c", "d"],
    )
    contrast = {"name": name, "variable": "arm", "test": "trt", "reference": "ctrl"}
    with pytest.raises(InputError, match="is reserved: its tables would collide"):
        check_contrasts(sheet, [contrast], "~ arm")


def test_missing_covariate_names_samples_and_lines(sheet):
    sheet.loc["s2", "batch"] = None
    sheet.loc["s4", "batch"] = None
    with pytest.raises(InputError) as e:
        check_design(sheet, "~ batch + arm", sheet_file="samples.tsv")
    message = str(e.value)
    assert message.startswith("samples.tsv, column `batch`: column 'batch' is used in the design")
    assert "empty (or NA) for sample(s) 's2' (line 4), 's4' (line 6)" in message


def test_text_in_a_numeric_covariate_names_the_cell_and_the_fixes(sheet):
    sheet["age"] = ["30", "41", "ten", "52", "28", "33"]
    with pytest.raises(InputError) as e:
        check_design(sheet, "~ age + arm", sheet_file="samples.tsv")
    message = str(e.value)
    assert "column 'age' holds numbers except for 's2' (line 4) (value 'ten')" in message
    assert "samples.tsv, column `age`" in message
    assert "correct the cell(s) to a number" in message and "de.categorical" in message


def test_text_in_a_numeric_column_listed_as_categorical_is_a_level(sheet):
    sheet["cage"] = ["1", "1", "2", "2", "x", "x"]
    matrix = check_design(sheet, "~ cage + arm", ["cage"])
    assert "cage[T.x]" in matrix.columns


def test_mostly_text_column_is_a_factor(sheet):
    sheet["site"] = ["lung", "lung", "liver", "liver", "1", "1"]
    assert "site[T.liver]" in check_design(sheet, "~ site + arm").columns


def test_a_one_sample_level_differing_only_in_case_is_named(sheet):
    sheet.loc["s4", "arm"] = "Ctrl"
    with pytest.raises(InputError) as e:
        check_design(sheet, "~ arm", sheet_file="samples.tsv")
    message = str(e.value)
    assert "level 'Ctrl' of column 'arm' has a single sample ('s4' (line 6))" in message
    assert "did you mean 'ctrl'?" in message


def test_contrast_arm_with_one_sample_is_an_error(sheet):
    sheet.loc[["s3", "s5"], "arm"] = "ctrl"
    with pytest.raises(InputError) as e:
        check_contrasts(sheet, [CONTRAST], "~ arm", sheet_file="samples.tsv", config_file="c.yaml")
    message = str(e.value)
    assert "samples.tsv, column `arm`: test level 'trt' of column 'arm' has a single sample" in (
        message
    )
    assert "('s1' (line 3))" in message and "no replicates" in message
    assert "c.yaml, de.contrasts[0] ('trt_vs_ctrl')" in message


def test_count_column_in_the_design_is_refused(sheet):
    sheet["count_column"] = [f"{s}.bam" for s in sheet.index]
    with pytest.raises(InputError, match="uses `count_column`, which names each sample's column"):
        check_design(sheet, "~ count_column + arm")


def test_reference_levels_are_checked_with_did_you_mean(sheet):
    check_reference_levels(sheet, {"arm": "trt"}, "~ batch + arm")
    with pytest.raises(InputError) as e:
        check_reference_levels(sheet, {"amr": "trt"}, "~ batch + arm", config_file="c.yaml")
    assert "c.yaml, key de.reference_levels.amr: 'amr' is not a variable of the design" in str(
        e.value
    )
    assert "did you mean 'arm'?" in str(e.value)
    with pytest.raises(InputError) as e:
        check_reference_levels(sheet, {"arm": "Trt"}, "~ arm", sheet_file="s.tsv")
    assert "reference level 'Trt' does not occur in column 'arm' of the sample sheet s.tsv" in (
        str(e.value)
    )
    assert "did you mean 'trt'?" in str(e.value)
    with pytest.raises(InputError, match="'dose' is a continuous covariate"):
        check_reference_levels(sheet, {"dose": "1"}, "~ dose + arm")
    check_reference_levels(sheet, {"dose": "1"}, "~ dose + arm", ["dose"])


def test_explicit_reference_levels_win_over_the_contrasts(sheet):
    contrasts = (Contrast.from_config(CONTRAST),)
    assert reference_levels(contrasts, {"arm": "trt", "batch": "b2"}) == {
        "arm": "trt",
        "batch": "b2",
    }
    references = reference_levels(contrasts, {"batch": "b2"})
    matrix = check_design(sheet, "~ batch + arm", references=references)
    assert list(matrix.columns) == ["Intercept", "batch[T.b1]", "arm[T.trt]"]


@pytest.mark.parametrize(
    ("reference", "other", "sign"), [("iso", "treat", 1), ("treat", "iso", -1)]
)
def test_reference_levels_name_and_orient_the_fits_coefficients(tmp_path, reference, other, sign):
    """The DE fit takes de.reference_levels: the coefficient is named after the other level and
    a coefficient contrast on it has the sign of other vs reference (planted genes 4x up in
    'treat')."""
    samples = [f"m{i}" for i in range(6)]
    counts = small_counts(samples)
    group = ["iso", "treat"] * 3
    obs = pd.DataFrame({"sample": samples, "group": group}, index=samples)
    var = pd.DataFrame({"gene_id": counts.index, "symbol": counts.index}, index=counts.index)
    ad.AnnData(X=counts.T.to_numpy(), obs=obs, var=var).write_h5ad(tmp_path / "counts.h5ad")
    coefficient = f"group[T.{other}]"
    contrasts = [
        {"name": "coef", "coefficients": {coefficient: 1}},
        {"name": "levels", "variable": "group", "test": "treat", "reference": "iso"},
    ]
    config = {
        "counts": {"path": "c.tsv"},
        "de": {
            "design": "~ group",
            "contrasts": contrasts,
            "reference_levels": {"group": reference},
        },
    }
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    settings = Settings.from_config(config).de
    assert settings.model.references == {"group": reference}
    run_fit(tmp_path / "counts.h5ad", tmp_path / "model.h5ad", settings.model, threads=1)
    model = model_from_anndata(ad.read_h5ad(tmp_path / "model.h5ad"))
    assert model.coefficient_names == ["Intercept", coefficient]
    by_coefficient, by_levels = (
        contrast_results(model, contrast, settings.test)["log2FoldChange"]
        for contrast in settings.model.contrasts
    )
    planted = [gene_id(i) for i in range(1, 31)]
    assert (np.sign(by_coefficient.loc[planted]) == sign).mean() > 0.9
    np.testing.assert_allclose(by_coefficient, sign * by_levels, rtol=1e-8, atol=1e-10)
