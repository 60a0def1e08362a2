"""Layer ESDs built as WeightWatcher builds them, its column names and metrics, and the model summary.

References are independent of the package: NumPy's SVD of each receptive-field slice, ``np.linalg.matrix_rank``
and ``np.linalg.norm`` on the weights themselves.
"""

import numpy as np
import pytest

from rmtcheck.randmat import spectral as S


def _slice_evals(mats):
    return np.sort(np.concatenate([np.linalg.svd(m, compute_uv=False) ** 2 for m in mats]))


def test_conv2d_kernel_gives_m_times_rf_eigenvalues_of_its_slices():
    W = np.random.default_rng(0).standard_normal((64, 32, 3, 3))  # PyTorch (out, in, kh, kw)
    ev = S.esd(W)
    assert ev.size == 32 * 9 == 288
    ref = _slice_evals([W[:, :, i, j] for i in range(3) for j in range(3)])
    np.testing.assert_allclose(ev, ref, rtol=1e-10, atol=1e-10 * ref[-1])
    # the same kernel in Keras' layout (kh, kw, in, out) gives the same ESD
    np.testing.assert_allclose(S.esd(W.transpose(2, 3, 1, 0)), ev, rtol=1e-10, atol=1e-10 * ref[-1])
    # flatten: one (out, in kh kw) matrix
    assert S.esd(W, conv="flatten").size == 64
    d = S.diagnose(W, bootstrap=0)
    rec = d.record()
    assert (rec["layer_type"], rec["rf"], rec["num_evals"]) == ("conv2d", 9, 288)


def test_conv1d_kernel_is_k_slices():
    W = np.random.default_rng(1).standard_normal((20, 12, 5))
    assert S.esd(W).size == 12 * 5
    np.testing.assert_allclose(S.esd(W), _slice_evals([W[:, :, k] for k in range(5)]), rtol=1e-10, atol=1e-9)
    assert S.weight_matrices(W)[1] == "conv1d"


def test_layers_below_min_evals_or_above_max_evals_are_skipped_with_the_reason():
    rng = np.random.default_rng(2)
    small = S.diagnose(rng.standard_normal((30, 9)), bootstrap=0)
    assert small.flag == "skipped" and small.powerlaw is None
    assert "9 eigenvalues" in small.skipped and "min_evals=10" in small.skipped
    rec = small.record()
    assert rec["alpha"] is None and rec["warning"] == "skipped" and rec["num_evals"] == 9
    big = S.diagnose(rng.standard_normal((300, 200)), bootstrap=0, max_evals=150)
    assert big.flag == "skipped" and "max_evals=150" in big.skipped
    raised = S.diagnose(rng.standard_normal((300, 40)), bootstrap=0, min_evals=50)
    assert raised.flag == "skipped" and "min_evals=50" in raised.skipped
    with pytest.raises(ValueError, match="min_evals"):
        S.diagnose(rng.standard_normal((30, 20)), min_evals=3)
    listed = S.diagnose_layers({"fc": rng.standard_normal((100, 50)), "tiny": rng.standard_normal((4, 3))}, rng=0,
                               bootstrap=0)
    assert [r.flag == "skipped" for r in listed] == [False, True]
    assert "skipped:" in S.spectrum_table(listed)


def test_ww_columns_are_aliases_of_the_same_numbers_and_metrics_match_numpy():
    W = np.random.default_rng(3).standard_t(3, (300, 120))
    d = S.diagnose(W, bootstrap=0, layer_id=4)
    rec = d.record()
    for ww, ours in S.WW_ALIASES.items():
        assert rec[ww] == rec[ours]
    assert rec["warning"] == ("" if rec["flag"] == "well-trained" else rec["flag"])
    assert rec["layer_id"] == 4 and rec["xmax"] == pytest.approx(np.linalg.norm(W, 2) ** 2, rel=1e-10)
    assert rec["norm"] == pytest.approx(np.linalg.norm(W) ** 2, rel=1e-10)
    assert rec["log_norm"] == pytest.approx(np.log10(np.linalg.norm(W) ** 2), rel=1e-12)
    assert rec["spectral_norm"] == pytest.approx(np.linalg.norm(W, 2) ** 2, rel=1e-10)
    assert rec["matrix_rank"] == np.linalg.matrix_rank(W) == 120
    sv2 = np.linalg.svd(W, compute_uv=False) ** 2
    p = sv2 / sv2.sum()
    assert rec["entropy"] == pytest.approx(-np.sum(p * np.log(p)) / np.log(120), rel=1e-10)
    assert rec["mp_softrank"] == pytest.approx(d.mp.edge / sv2.max(), rel=1e-12)
    low = np.outer(np.arange(1.0, 31.0), np.ones(12))  # rank one
    m = S.ww_metrics(S.esd(low))
    assert m["matrix_rank"] == 1 and m["entropy"] == 0.0


def test_alpha_is_the_same_for_scaled_copies_and_the_summary_averages_fitted_layers():
    rng = np.random.default_rng(5)
    W = rng.standard_t(2.5, (400, 200))
    base = S.diagnose(W, bootstrap=0)
    for c in (0.1, 3.0, 50.0):
        assert S.diagnose(c * W, bootstrap=0).alpha == pytest.approx(base.alpha, rel=1e-9)
    res = S.diagnose_layers({"a": W, "b": rng.standard_normal((200, 100)), "c": rng.standard_normal((5, 4))}, rng=0,
                            bootstrap=0)
    summ = S.spectrum_summary(res)
    assert (summ["n_layers"], summ["n_fitted"], summ["n_skipped"]) == (3, 2, 1)
    assert summ["alpha"] == pytest.approx((res[0].alpha + res[1].alpha) / 2)
    assert summ["log_norm"] == pytest.approx(np.mean([r.record()["log_norm"] for r in res[:2]]))
    assert sum(summ["flags"].values()) == 3 and summ["flags"]["skipped"] == 1
    assert [r.record()["layer_id"] for r in res] == [0, 1, 2]
