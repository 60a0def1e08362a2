"""Every bad input to the public Python API gets a clear answer (issue "Every bad input gets a clear answer").

A table of cases ``(id, call, outcome, needle)``: ``call`` is a zero-argument lambda; ``outcome`` is
``ValueError`` or ``TypeError`` (the message must contain ``needle``, the argument's name or the fix, and be
one line) or ``"ok"`` (``needle`` is then a predicate on the result). No case may raise anything else, warn
(pytest turns warnings into errors), return NaN silently, or hang.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rmtcheck._lib.validation import (
    as_finite_array,
    as_generator,
    check_batch,
    check_int,
    check_positive,
    check_unit_interval,
)
from rmtcheck.randmat import diagnose, diagnose_layers, esd, fit_powerlaw, hill_alpha, mp_edges, powerlaw_alpha_at
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.families import HessianFamily, as_family
from rmtcheck.stability.gram import gram_family
from rmtcheck.stability.montecarlo import DexterProtocol, blew_up, divergence_fraction, simulate_sgd
from rmtcheck.stability.operator import critical_lr, ms_growth
from rmtcheck.stability.report import analyse, stability_report
from rmtcheck.stability.three_axis import alignment, cross_coherence, mixed_coherence
from rmtcheck.stability.unlearning import (
    critical_alpha,
    escape_verdicts,
    mixed_critical_lr,
    mixed_growth,
    mixed_hessian,
    mixed_recursion,
    resist_interval,
)

_rng = np.random.default_rng(0)
G = _rng.standard_normal((12, 5))
F = _rng.standard_normal((6, 5))
F6 = _rng.standard_normal((6, 6))
Z = np.zeros((6, 5))
A = _rng.standard_normal((6, 3, 3))
STACK = A @ A.transpose(0, 2, 1)
W = _rng.standard_normal((60, 40))

RAGGED = [[1.0, 2.0, 3.0], [4.0, 5.0]]
BAD_ARRAYS = [  # (label, value, needle): refused wherever per-sample curvature is expected
    ("ragged", RAGGED, "ragged"),
    ("ragged3", [[[1.0, 0.0], [0.0, 1.0]], [[1.0]]], "ragged"),
    ("complex", G + 1j * G, "complex"),
    ("complex-zero-imag", G.astype(complex), "complex"),
    ("bool", G > 0, "boolean"),
    ("str", "G.npy", "numeric"),
    ("strings", [["1", "2"], ["3", "4"]], "numeric"),
    ("none", None, "None"),
    ("object", np.array([[object(), 1.0]], dtype=object), "numeric"),
    ("nan", np.where(np.eye(12, 5) > 0, np.nan, G), "NaN or inf"),
    ("inf", np.where(np.eye(12, 5) > 0, -np.inf, G), "NaN or inf"),
    ("huge", G * 1e200, "absolute value"),
    ("tiny", G * 1e-200, "absolute value"),
    ("huge-stack", STACK * 1e200, "absolute value"),
    ("tiny-stack", STACK * 1e-200, "absolute value"),
    ("vector", G[0], "shape"),
    ("scalar", 3.0, "shape"),
    ("4d", np.ones((2, 2, 2, 2)), "shape"),
    ("empty", np.zeros((0, 5)), ">= 1"),
]


def _expect(exc, needle):
    return exc, needle


CASES = []
for label, value, needle in BAD_ARRAYS:
    CASES += [
        (f"as_family-{label}", lambda v=value: as_family(v), ValueError, needle),
        (f"coherence-{label}", lambda v=value: coherence(v), ValueError, needle)
        if label not in ("huge", "tiny", "huge-stack", "tiny-stack") else
        (f"ok-coherence-{label}", lambda v=value: coherence(v), "ok",  # scale-free: rescaled internally
         lambda r, v=value: abs(r - coherence(v / np.max(np.abs(v)))) < 1e-9),
        (f"critical_lr-{label}", lambda v=value: critical_lr(v, 2), ValueError, needle),
        (f"mixed_growth-retain-{label}", lambda v=value: mixed_growth(v, F, 0.1, 2, alpha=0.3), ValueError, needle),
        (f"mixed_hessian-forget-{label}", lambda v=value: mixed_hessian(G, v, alpha=0.3), ValueError, needle),
    ]
for label, value, needle in BAD_ARRAYS[:13]:
    CASES += [
        (f"stability_report-{label}", lambda v=value: stability_report(v, 0.1, 2, runs=4, steps=10), ValueError,
         needle),
        (f"esd-{label}", lambda v=value: esd(v), ValueError, needle if "stack" not in label else "absolute"),
    ]
for label, value, needle in BAD_ARRAYS[:11]:
    value = value[0] if label in ("nan", "inf") else value  # a 1-D spectrum with a NaN or inf
    CASES.append((f"fit_powerlaw-{label}", lambda v=value: fit_powerlaw(v), ValueError,
                  needle if label not in ("ragged3",) else "ragged"))

CASES += [
    # names: which argument, in the message
    ("names-retain", lambda: mixed_growth(G + 1j, F, 0.1, 2, alpha=0.3), ValueError, "retain"),
    ("names-forget", lambda: mixed_growth(G, F + 1j, 0.1, 2, alpha=0.3), ValueError, "forget"),
    # dimension mismatch: one clear message everywhere, never a broadcasting error
    ("d-mismatch-mixed_growth", lambda: mixed_growth(G, F6, 0.1, 2, alpha=0.3), ValueError, "same dimension d"),
    ("d-mismatch-mixed_hessian", lambda: mixed_hessian(G, F6, alpha=0.3), ValueError, "same dimension d"),
    ("d-mismatch-mixed_coherence", lambda: mixed_coherence(G, F6, alpha=0.3), ValueError, "same dimension d"),
    ("d-mismatch-alignment", lambda: alignment(G, F6), ValueError, "same dimension d"),
    ("d-mismatch-cross_coherence", lambda: cross_coherence(G, F6), ValueError, "same dimension d"),
    ("d-mismatch-critical_alpha", lambda: critical_alpha(G, F6, 0.1, 2), ValueError, "same dimension d"),
    ("d-mismatch-mixed_critical_lr", lambda: mixed_critical_lr(G, F6, 2, alpha=0.3), ValueError, "same dimension d"),
    ("d-mismatch-escape_verdicts", lambda: escape_verdicts(G, F6, 0.1, 2, alpha=0.3), ValueError,
     "same dimension d"),
    ("d-mismatch-analyse", lambda: analyse(G, F6, 0.1, 2, alpha=0.3), ValueError, "d="),
    # an all-zero forget set: answers consistent with the mixed growth (nothing to ascend), or a refusal naming it
    ("zero-forget-critical_alpha", lambda: critical_alpha(G, Z, 0.1, 2), "ok", lambda r: r == math.inf),
    ("zero-forget-mixed_critical_lr", lambda: mixed_critical_lr(G, Z, 2, alpha=0.3), "ok",  # (1-alpha) H_r SGD
     lambda r: abs(r - critical_lr(G, 2) / 0.7) < 1e-9 * r
     and mixed_growth(G, Z, 0.999 * r, 2, alpha=0.3) < 1 < mixed_growth(G, Z, 1.001 * r, 2, alpha=0.3)),
    ("zero-forget-resists-near-1", lambda: mixed_growth(G, Z, 0.1, 2, alpha=0.99), "ok", lambda r: r < 1),
    ("zero-forget-resist_interval", lambda: resist_interval(G, Z, 0.1, 2), "ok", lambda r: r == (0.0, 1.0)),
    ("zero-forget-mixed_coherence", lambda: mixed_coherence(G, Z, alpha=0.3), ValueError, "forget is all zero"),
    ("zero-retain-mixed_coherence", lambda: mixed_coherence(Z, F, alpha=0.3), ValueError, "retain is all zero"),
    ("zero-forget-alignment", lambda: alignment(G, Z), ValueError, "all zero"),
    ("zero-forget-escape_verdicts", lambda: escape_verdicts(G, Z, 0.1, 2, alpha=0.3, lyapunov="none"), "ok",
     lambda r: r["mean-square"].escapes is False),
    ("zero-forget-analyse", lambda: analyse(G, Z, 0.1, 2, alpha=0.3), ValueError, "forget"),
    ("zero-coherence", lambda: coherence(np.zeros((4, 3))), ValueError, "all zero"),
    ("zero-report", lambda: stability_report(np.zeros((4, 3)), 0.1, 2), ValueError, "all zero"),
    # scalars: bool, NaN, strings, out of range
    ("batch-True", lambda: critical_lr(G, True), ValueError, "batch"),
    ("batch-0", lambda: critical_lr(G, 0), ValueError, "batch"),
    ("batch-frac", lambda: critical_lr(G, 1.5), ValueError, "batch"),
    ("batch-big", lambda: critical_lr(G, 13), ValueError, "batch"),
    ("batch-str", lambda: critical_lr(G, "2"), ValueError, "batch"),
    ("batch-None", lambda: critical_lr(G, None), ValueError, "batch"),
    ("batch-True-mixed", lambda: mixed_growth(G, F, 0.1, True, alpha=0.3), ValueError, "batch"),
    ("batch-True-report", lambda: stability_report(G, 0.1, True), ValueError, "batch"),
    ("batch-True-simulate", lambda: simulate_sgd(G, 0.1, True, steps=5, runs=2), ValueError, "batch"),
    ("lr-0", lambda: ms_growth(G, 0.0, 2), ValueError, "lr"),
    ("lr-neg", lambda: ms_growth(G, -0.1, 2), ValueError, "lr"),
    ("lr-nan", lambda: ms_growth(G, float("nan"), 2), ValueError, "lr"),
    ("lr-inf", lambda: ms_growth(G, float("inf"), 2), ValueError, "lr"),
    ("lr-True", lambda: ms_growth(G, True, 2), ValueError, "lr"),
    ("lr-str", lambda: ms_growth(G, "0.1", 2), ValueError, "lr"),
    ("lr-complex", lambda: ms_growth(G, 0.1 + 0j, 2), ValueError, "lr"),
    ("lr-mixed-nan", lambda: mixed_growth(G, F, float("nan"), 2, alpha=0.3), ValueError, "lr"),
    ("lr-escape-0", lambda: escape_verdicts(G, F, 0.0, 2, alpha=0.3), ValueError, "lr"),
    ("lr-divergence-0", lambda: divergence_fraction(G, 0.0, 2), ValueError, "lr"),
    ("alpha-big", lambda: mixed_growth(G, F, 0.1, 2, alpha=1.5), ValueError, "alpha"),
    ("alpha-neg", lambda: mixed_growth(G, F, 0.1, 2, alpha=-0.1), ValueError, "alpha"),
    ("alpha-nan", lambda: mixed_growth(G, F, 0.1, 2, alpha=float("nan")), ValueError, "alpha"),
    ("alpha-True", lambda: mixed_growth(G, F, 0.1, 2, alpha=True), ValueError, "alpha"),
    ("alpha-str", lambda: mixed_hessian(G, F, alpha="0.3"), ValueError, "alpha"),
    ("sampling-unknown", lambda: critical_lr(G, 2, sampling="poisson"), ValueError, "sampling"),
    ("sampling-mixed-unknown", lambda: mixed_growth(G, F, 0.1, 2, alpha=0.3, sampling="bernoulli"), ValueError,
     "sampling"),
    ("sampling-None", lambda: critical_lr(G, 2, sampling=None), ValueError, "sampling"),
    ("space-unknown", lambda: stability_report(G, 0.1, 2, space="dual"), ValueError, "space"),
    ("report-seed-neg", lambda: stability_report(G, 0.1, 2, seed=-1, runs=4, steps=10), ValueError, "seed"),
    ("report-runs-0", lambda: stability_report(G, 0.1, 2, runs=0, steps=10), ValueError, "runs"),
    ("report-steps-0", lambda: stability_report(G, 0.1, 2, runs=4, steps=0), ValueError, "steps"),
    ("analyse-seed-neg", lambda: analyse(G, F, 0.1, 2, alpha=0.3, seed=-1, runs=4, steps=10), ValueError, "seed"),
    ("simulate-rng-neg", lambda: simulate_sgd(G, 0.1, 2, steps=5, runs=2, rng=-1), ValueError, "seed"),
    ("simulate-rng-str", lambda: simulate_sgd(G, 0.1, 2, steps=5, runs=2, rng="abc"), ValueError, "rng"),
    ("simulate-rng-True", lambda: simulate_sgd(G, 0.1, 2, steps=5, runs=2, rng=True), ValueError, "rng"),
    ("simulate-steps-0", lambda: simulate_sgd(G, 0.1, 2, steps=0, runs=2), ValueError, "steps"),
    ("simulate-runs-0", lambda: simulate_sgd(G, 0.1, 2, steps=5, runs=0), ValueError, "runs"),
    # silently wrong before: now refused
    ("escape-lyapunov-foo", lambda: escape_verdicts(G, F, 0.1, 2, alpha=0.3, lyapunov="foo"), ValueError,
     "lyapunov"),
    ("escape-lyapunov-None", lambda: escape_verdicts(G, F, 0.1, 2, alpha=0.3, lyapunov=None), ValueError,
     "lyapunov"),
    ("escape-steps-0", lambda: escape_verdicts(G, F, 0.1, 2, alpha=0.3, lyapunov="mc", steps=0), ValueError,
     "steps"),
    ("escape-runs-neg", lambda: escape_verdicts(G, F, 0.1, 2, alpha=0.3, lyapunov="mc", runs=-3), ValueError,
     "runs"),
    ("dexter-blowup-nan", lambda: DexterProtocol(blowup=float("nan")), ValueError, "blowup"),
    ("dexter-blowup-inf", lambda: DexterProtocol(blowup=float("inf")), ValueError, "blowup"),
    ("dexter-blowup-0", lambda: DexterProtocol(blowup=0.0), ValueError, "blowup"),
    ("dexter-blowup-neg", lambda: DexterProtocol(blowup=-5.0), ValueError, "blowup"),
    ("dexter-blowup-half", lambda: DexterProtocol(blowup=0.5), ValueError, "blowup"),
    ("dexter-blowup-str", lambda: DexterProtocol(blowup="1000"), ValueError, "blowup"),
    ("dexter-steps-0", lambda: DexterProtocol(steps=0), ValueError, "steps"),
    ("dexter-runs-0", lambda: DexterProtocol(runs=0), ValueError, "runs"),
    ("dexter-runs-True", lambda: DexterProtocol(runs=True), ValueError, "runs"),
    ("dexter-factor-nan", lambda: DexterProtocol(hessian_factor=float("nan")), ValueError, "hessian_factor"),
    ("divergence-protocol-nan",
     lambda: divergence_fraction(G, 0.1, 2, protocol=_forced(DexterProtocol(steps=5, runs=2), blowup=float("nan"))),
     ValueError, "blowup"),
    ("divergence-protocol-type", lambda: divergence_fraction(G, 0.1, 2, protocol={"blowup": 1000}), TypeError,
     "DexterProtocol"),
    ("blew_up-factor-nan", lambda: blew_up(np.zeros((2, 3)), float("nan")), ValueError, "factor"),
    ("blew_up-factor-0", lambda: blew_up(np.zeros((2, 3)), 0.0), ValueError, "factor"),
    ("blew_up-scale", lambda: blew_up(np.zeros((2, 3)), scale="linear"), ValueError, "scale"),
    # non-PSD and non-symmetric stacks (the Python API may suggest psd=False)
    ("stack-nonsym", lambda: HessianFamily.from_stack(_rng.standard_normal((3, 3, 3))), ValueError, "symmetric"),
    ("stack-nonpsd", lambda: HessianFamily.from_stack(np.stack([np.diag([1.0, -1.0])] * 2)), ValueError,
     "positive semi-definite"),
    ("stack-not-square", lambda: HessianFamily.from_stack(np.ones((2, 3, 4))), ValueError, "shape"),
    ("factors-3d", lambda: HessianFamily.from_factors(np.ones((2, 3, 4))), ValueError, "ndim"),
    # power-law fits on too few eigenvalues: refused by the fit, skipped (never flagged) by the diagnostic
    ("gram_family-huge", lambda: gram_family(G @ G.T * 1e200), ValueError, "gram has entries"),
    ("gram_family-tiny", lambda: gram_family(G @ G.T * 1e-200), ValueError, "gram has entries"),
    ("gram_family-complex", lambda: gram_family(G @ G.T + 1j), ValueError, "complex"),
    ("gram_family-ragged", lambda: gram_family(RAGGED), ValueError, "ragged"),
    ("gram_family-k-True", lambda: gram_family(G @ G.T, True), ValueError, "k"),
    ("fit_powerlaw-3", lambda: fit_powerlaw([1.0, 2.0, 3.0]), ValueError, "at least 10"),
    ("fit_powerlaw-5", lambda: fit_powerlaw([1.0, 2.0, 3.0, 4.0, 5.0]), ValueError, "at least 10"),
    ("fit_powerlaw-9", lambda: fit_powerlaw(np.arange(1.0, 10.0)), ValueError, "at least 10"),
    ("fit_powerlaw-zeros", lambda: fit_powerlaw(np.zeros(20)), ValueError, "no positive eigenvalue"),
    ("fit_powerlaw-neg", lambda: fit_powerlaw([-1.0, 1.0, 2.0]), ValueError, ">= 0"),
    ("fit_powerlaw-2d", lambda: fit_powerlaw(np.ones((3, 3))), ValueError, "ndim"),
    ("fit_powerlaw-min_tail-1", lambda: fit_powerlaw(np.arange(1.0, 40.0), min_tail=1), ValueError, "min_tail"),
    ("fit_powerlaw-min_tail-True", lambda: fit_powerlaw(np.arange(1.0, 40.0), min_tail=True), ValueError,
     "min_tail"),
    ("fit_powerlaw-bootstrap-neg", lambda: fit_powerlaw(np.arange(1.0, 40.0), bootstrap=-1), ValueError,
     "bootstrap"),
    ("fit_powerlaw-ci-2", lambda: fit_powerlaw(np.arange(1.0, 40.0), ci_level=2.0), ValueError, "ci_level"),
    ("fit_powerlaw-convention", lambda: fit_powerlaw(np.arange(1.0, 40.0), convention="x"), ValueError,
     "convention"),
    ("fit_powerlaw-xmin-nan", lambda: fit_powerlaw(np.arange(1.0, 40.0), xmin=float("nan")), ValueError, "xmin"),
    ("hill_alpha-k-0", lambda: hill_alpha(np.arange(1.0, 40.0), 0), ValueError, "k"),
    ("powerlaw_alpha_at-nan", lambda: powerlaw_alpha_at(np.arange(1.0, 40.0), float("nan")), ValueError, "xmin"),
    ("esd-method", lambda: esd(W, method="qr"), ValueError, "method"),
    ("esd-vector", lambda: esd(np.ones(5)), ValueError, "ndim"),
    ("diagnose-1x1", lambda: diagnose(np.ones((1, 1))), ValueError, "shape"),
    ("diagnose-bands", lambda: diagnose(W, bootstrap=0, bands=(6.0, 2.0)), ValueError, "bands"),
    ("diagnose_layers-none", lambda: diagnose_layers({"b": np.zeros(3)}), ValueError, "ndim >= 2"),
    ("diagnose_layers-complex", lambda: diagnose_layers({"fc": W + 1j}), ValueError, "complex"),
    ("mp_edges-ratio-0", lambda: mp_edges(0.0), ValueError, "ratio"),
    ("mp_edges-ratio-nan", lambda: mp_edges(float("nan")), ValueError, "ratio"),
    # the shared helpers themselves
    ("check_positive-True", lambda: check_positive(True, "lr"), ValueError, "lr"),
    ("check_int-True", lambda: check_int(True, "steps"), ValueError, "steps"),
    ("check_int-nan", lambda: check_int(float("nan"), "steps"), ValueError, "steps"),
    ("check_batch-True", lambda: check_batch(True, 5), ValueError, "batch"),
    ("check_unit-True", lambda: check_unit_interval(True, "alpha"), ValueError, "alpha"),
    ("as_generator-neg", lambda: as_generator(-1), ValueError, "seed"),
    ("as_generator-float", lambda: as_generator(1.5), ValueError, "rng"),
    ("as_finite-ragged", lambda: as_finite_array(RAGGED, "x"), ValueError, "x must be a rectangular"),
    ("as_finite-complex", lambda: as_finite_array([1j], "x"), ValueError, "x is complex"),
    ("as_finite-bool", lambda: as_finite_array([True], "x"), ValueError, "x is boolean"),
    ("as_finite-pyobj-complex", lambda: as_finite_array(np.array([1.0, 2j], dtype=object), "x"), ValueError,
     "complex"),
    # unusual but valid: a correct answer
    ("ok-int-factors", lambda: coherence(np.eye(3, dtype=int)), "ok", lambda r: r == 1.0),
    ("ok-float32", lambda: coherence(np.ones((4, 3), dtype=np.float32)), "ok", lambda r: abs(r - 4.0) < 1e-9),
    ("ok-list-factors", lambda: coherence([[1.0, 0.0], [0.0, 1.0]]), "ok", lambda r: r == 1.0),
    ("ok-batch-float-integral", lambda: critical_lr(G, 2.0), "ok", lambda r: r == critical_lr(G, 2)),
    ("ok-batch-numpy-int", lambda: critical_lr(G, np.int64(2)), "ok", lambda r: r == critical_lr(G, 2)),
    ("ok-batch-n", lambda: critical_lr(G, 12), "ok", lambda r: math.isfinite(r) and r > 0),
    ("ok-rng-generator", lambda: simulate_sgd(G, 0.1, 2, steps=5, runs=2, rng=np.random.default_rng(1)), "ok",
     lambda r: np.isfinite(r.lyapunov)),
    ("ok-rng-seedseq", lambda: as_generator(np.random.SeedSequence(3)), "ok",
     lambda r: isinstance(r, np.random.Generator)),
    ("ok-coherence-scale-1e-30", lambda: coherence(G * 1e-30), "ok", lambda r: abs(r - coherence(G)) < 1e-9),
    ("ok-coherence-scale-1e30", lambda: coherence(G * 1e30), "ok", lambda r: abs(r - coherence(G)) < 1e-9),
    ("ok-growth-scale-invariant", lambda: ms_growth(G * 1e-10, 0.1 * 1e20, 2), "ok",
     lambda r: abs(r - ms_growth(G, 0.1, 2)) < 1e-9),
    ("ok-alpha-0", lambda: mixed_growth(G, F, 0.1, 2, alpha=0.0), "ok", lambda r: abs(r - ms_growth(G, 0.1, 2,
                                                                             sampling="bernoulli")) < 1e-9 or r > 0),
    ("ok-alpha-1", lambda: mixed_growth(G, F, 0.1, 2, alpha=1.0), "ok", lambda r: r > 1),
    ("ok-zero-retain-escapes", lambda: mixed_growth(np.zeros((6, 5)), F, 0.1, 2, alpha=0.5), "ok", lambda r: r > 1),
    ("ok-escape-none", lambda: escape_verdicts(G, F, 0.1, 2, alpha=0.3, lyapunov="none"), "ok",
     lambda r: list(r) == ["mean-square"]),
    ("ok-divergence", lambda: divergence_fraction(G, 0.05, 2, protocol=DexterProtocol(steps=20, runs=4), rng=0),
     "ok", lambda r: r == 0.0),
    ("ok-dexter-default", lambda: DexterProtocol(), "ok", lambda r: r.blowup == 1000),
    ("ok-fit-10", lambda: fit_powerlaw(np.arange(1.0, 11.0)), "ok", lambda r: math.isfinite(r.alpha)),
    ("ok-diagnose-5x3-skipped", lambda: diagnose(_rng.standard_normal((5, 3)), bootstrap=0), "ok",
     lambda r: r.flag == "skipped" and math.isnan(r.alpha) and "min_evals=10" in r.skipped
     and r.record()["alpha"] is None),
    ("ok-diagnose-zero-skipped", lambda: diagnose(np.zeros((30, 20)), bootstrap=0), "ok",
     lambda r: r.flag == "skipped"),
    ("ok-diagnose-large", lambda: diagnose(W, bootstrap=0), "ok", lambda r: r.flag != "skipped" and r.alpha > 1),
    ("ok-diagnose_layers-mixed", lambda: diagnose_layers({"a": W, "b": W[:5, :3]}, bootstrap=0), "ok",
     lambda r: [x.flag == "skipped" for x in r] == [False, True]),
    ("ok-mixed_recursion", lambda: mixed_recursion(G, F, 2, alpha=0.3), "ok", lambda r: r.d == 5),
    ("ok-report-singular", lambda: stability_report(_rng.standard_normal((3, 7)), 0.1, 2, runs=4, steps=10), "ok",
     lambda r: r["range_dim"] == 3 and "range(H)" in r["notions"]["lyapunov"] and r["null_space_note"]),
    ("ok-analyse-eta-0", lambda: analyse(G, F, 0.1, 2, alpha=1.0, runs=4, steps=10), "ok",
     lambda r: r["critical_lr"] == 0.0 and r["escapes"]),
]


def _forced(protocol, **fields):
    """A frozen protocol with fields set behind its validation (as object.__setattr__ would)."""
    for k, v in fields.items():
        object.__setattr__(protocol, k, v)
    return protocol


def test_battery_size():
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_api_bad_input(case):
    _, call, outcome, needle = case
    if outcome == "ok":
        res = call()
        assert needle(res), res
        return
    with pytest.raises(outcome) as info:
        call()
    assert type(info.value) in (ValueError, TypeError) or issubclass(type(info.value), ValueError)
    msg = str(info.value)
    assert needle in msg, msg
    assert "\n" not in msg and "allow_pickle" not in msg
    assert "broadcast" not in msg and "did not converge" not in msg and "Internal Error" not in msg
