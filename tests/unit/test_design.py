import pandas as pd
import pytest

from tmeseq.design import check_contrasts, check_design, confounded_terms
from tmeseq.errors import InputError
from tmeseq.settings import Contrast, reference_levels

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
