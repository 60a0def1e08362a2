"""The scikit-learn bundled sets read straight from their CSV files equal scikit-learn's own loaders bit for
bit, and reading them imports no scikit-learn."""

import subprocess
import sys

import numpy as np
import pytest

from rmtcheck._lib.datasets import sklearn_arrays

datasets = pytest.importorskip("sklearn.datasets")


@pytest.mark.parametrize("name", ["digits", "breast_cancer"])
def test_csv_reader_equals_sklearn_loaders(name):
    d = datasets.load_digits() if name == "digits" else datasets.load_breast_cancer()
    X, y = sklearn_arrays(name)
    assert X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X, d.data)
    np.testing.assert_array_equal(y, d.target)


def test_reading_the_bundled_sets_does_not_import_sklearn():
    code = ("import sys; from rmtcheck._lib.datasets import sklearn_arrays; sklearn_arrays('digits'); "
            "sklearn_arrays('breast_cancer'); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
