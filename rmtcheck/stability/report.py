"""The records printed by ``rmtcheck stability`` and ``rmtcheck unlearn-stability`` (plain, JSON-able dicts).

:func:`stability_report` (linearised SGD, [1]_: coherence, :math:`\\lambda_{\\max}(H)`, exact :math:`\\rho(T)` and
:math:`\\eta^*`, Theorem 1, a Lyapunov exponent) and :func:`analyse` (descent–ascent unlearning, [2]_: three-axis
coherence, :math:`\\sigma_{mix}`, spectrum of :math:`\\bar D`, escape verdicts, resisting interval, critical
:math:`\\alpha` and :math:`\\eta`). Each value is labelled with its notion, mean-square (exact operator) or
almost-sure (Lyapunov exponent), never mixed; convert NumPy scalars with :func:`rmtcheck._lib.jsonable.jsonable`.

Inputs: a :class:`~rmtcheck.stability.families.HessianFamily`, an array (``(n, d)`` rank-one factors, ``(n, d, k)``
blocks with ``k != d``, an ``(n, d, d)`` stack) or a mapping with one of ``factors``, ``gram`` (:math:`K = F^\\top F`
with ``k``) or ``stack``, optionally ``name`` (for error messages) and ``n_retain`` (a joint retain-then-forget
input), as :func:`rmtcheck.stability.gram.load_curvature` returns. Factors are analysed in parameter or Gram space
(``space="auto"``: Gram when :math:`nk < d`); every number is the same in both, and everything is computed on
:math:`\\operatorname{range}(H)`, where the iterate moves: the Lyapunov Monte Carlo starts from
:math:`\\delta_0 = \\sum_i F_i z_i`, :math:`z \\sim N(0, I)`, which does not depend on the coordinates (dense stacks:
:math:`N(0, I)` on the range). The record's ``input`` says which form and space were used.

References
----------
.. [1] Dexter et al. (2024), "A Precise Characterization of SGD Stability Using Loss Surface Geometry",
   ICLR 2024 [dexter2024], Theorem 1.
.. [2] Chang and Khanna (2026), "Why Some Models Resist Unlearning: A Linear Stability Perspective",
   arXiv:2602.02986 [changkhanna2026].
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext

import numpy as np

from rmtcheck._lib.threads import single_blas_thread
from rmtcheck._lib.validation import (
    as_finite_array,
    as_generator,
    check_batch,
    check_int,
    check_magnitude,
    check_positive,
)
from rmtcheck.stability import thresholds as th
from rmtcheck.stability.coherence import coherence
from rmtcheck.stability.families import (
    _FACTOR_RANGE,
    _RESCALE_FACTORS,
    _RESCALE_STACK,
    _STACK_RANGE,
    HessianFamily,
    range_coordinates,
    restrict,
)
from rmtcheck.stability.gram import curvature_family, gram_family, gram_pair
from rmtcheck.stability.operator import sgd_recursion
from rmtcheck.stability.pairs import PairFamily
from rmtcheck.stability.three_axis import cross_traces, mixed_coherence
from rmtcheck.stability.unlearning import diagonal_lyapunov, mixed_recursion, resist_interval

__all__ = ["stability_report", "analyse", "SPACES"]

#: The values of ``space``: ``auto`` (Gram space when n*k < d), ``parameter``, ``gram``.
SPACES = ("auto", "parameter", "gram")
_FORMS = ("factors", "gram", "stack")
_DENSE_PAIRS = 400
_SMALL_DIM = 512
_SPACE = {"gram": "Gram", "parameter": "parameter"}


# ------------------------------------------------------------------------------------------------ inputs
def _in_range(arr: np.ndarray, label: str, factors: bool) -> None:
    """Refuse entries whose products leave float64 (named), and an all-zero input (nothing to analyse)."""
    if factors:
        check_magnitude(arr, label, *_FACTOR_RANGE, fix=_RESCALE_FACTORS)
    else:
        check_magnitude(arr, label, *_STACK_RANGE, fix=_RESCALE_STACK)
    if arr.size and not np.any(arr):
        raise ValueError(f"{label} is all zero (every H_i = 0): coherence and the dynamics are undefined; pass the "
                         "per-sample curvature (gradients or Hessians) at the minimum")


def _psd_hint(exc: ValueError) -> ValueError:
    """The non-PSD message without the Python-only ``psd=False`` remedy (the command line has no such option)."""
    return ValueError(str(exc).replace(", or pass psd=False for signed families", ""))


def _stack(A, name: str) -> HessianFamily:
    try:
        return HessianFamily.from_stack(A, name)
    except ValueError as exc:
        raise _psd_hint(exc) from None


def _unpack(x, name: str) -> dict:
    """``{form, array, k, name, n_retain}`` of one input (mapping, array or family)."""
    if isinstance(x, HessianFamily):
        return {"form": "family", "array": x, "k": x.k, "name": name, "n_retain": None}
    n_retain, k = None, None
    if isinstance(x, Mapping):
        name = x.get("name", name)
        keys = [key for key in _FORMS if key in x]
        if len(keys) != 1:
            raise ValueError(f"{name} must hold exactly one of 'factors', 'gram' or 'stack'; got {sorted(x)}")
        form, arr, n_retain, k = keys[0], x[keys[0]], x.get("n_retain"), x.get("k")
        label = f"{name} ({form})"
    else:
        form, arr, label = "array", x, name
    arr = as_finite_array(arr, label)
    _in_range(arr, label, factors=form == "factors" or (form == "array" and not (arr.ndim == 3
                                                                                  and arr.shape[1] == arr.shape[2])))
    if form == "gram":
        return {"form": form, "array": arr, "k": check_int(1 if k is None else k, f"{name} (k)", 1), "name": name,
                "n_retain": n_retain}
    square = arr.ndim == 3 and arr.shape[1] == arr.shape[2]
    if form == "array":
        form = "stack" if square else "factors"
    if not ((square or form == "factors") and arr.ndim in (2 if form == "factors" else 3, 3) and min(arr.shape) >= 1):
        raise ValueError(f"{label} must be (n, d) rank-one factors, (n, d, k) factor blocks or an (n, d, d) stack "
                         f"with n, d, k >= 1; got shape {arr.shape}")
    kk = None if form == "stack" else 1 if arr.ndim == 2 else arr.shape[2]
    if k is not None and kk is not None and check_int(k, f"{name} (k)", 1) != kk:
        raise ValueError(f"{name}: k={k} disagrees with factors of shape {arr.shape}")
    return {"form": form, "array": arr, "k": kk, "name": name, "n_retain": n_retain}


def _pick(space: str, rows: int, d: int) -> tuple[str, str]:
    """The space used for factors and why."""
    if space not in SPACES:
        raise ValueError(f"space (--space) must be one of {SPACES}; got {space!r}")
    if space != "auto":
        return space, f"space={space!r} requested"
    return ("gram", f"auto: n*k = {rows} < d = {d}") if rows < d else ("parameter", f"auto: n*k = {rows} >= d = {d}")


def _nd(u: dict) -> tuple[int, int]:
    a = u["array"]
    return (a.n, a.d) if u["form"] == "family" else a.shape[:2]


def _shape(u: dict) -> str:
    s = u["array"].shape if u["form"] != "family" else _nd(u)
    return f"factors (n, d{'' if len(s) == 2 else ', k'}) = {tuple(s)}" if u["form"] == "factors" else \
        f"dense stack (n, d, d) = {tuple(s)}" if u["form"] == "stack" else f"family (n, d) = ({s[0]}, {s[-1]})"


def _no_gram(u: dict, space: str):
    if space == "gram" and u["form"] in ("stack", "family"):
        raise ValueError(f"{u['name']}: space 'gram' needs factors or a Gram matrix; a {u['form']} is analysed in "
                         "parameter space (use --space auto or parameter)")
    if space == "parameter" and u["form"] == "gram":
        raise ValueError(f"{u['name']}: a Gram matrix has no parameter coordinates; use --space auto or gram")


def _single(x, space: str, name: str) -> tuple[HessianFamily, dict]:
    _pick(space, 0, 0)
    u = _unpack(x, name)
    _no_gram(u, space)
    A, note = u["array"], None if u["n_retain"] is None else "n_retain ignored: all samples form one family"
    if u["form"] == "gram":
        fam = gram_family(A, u["k"], name=f"{u['name']} (gram)")
        info = {"n": fam.n, "k": u["k"], "d": None, "space": "gram", "summary": f"Gram matrix, n={fam.n}, k={u['k']}"}
    elif u["form"] == "factors":
        F3 = A[:, :, None] if A.ndim == 2 else A
        used, why = _pick(space, F3.shape[0] * F3.shape[2], F3.shape[1])
        fam = curvature_family(F3, space=used, name=u["name"])
        info = {"n": F3.shape[0], "k": F3.shape[2], "d": F3.shape[1], "space": used,
                "summary": f"{_shape(u)}, computed in {_SPACE[used]} space ({why})"}
    else:
        fam = A if u["form"] == "family" else _stack(A, u["name"])
        where = "parameter space" if u["form"] == "stack" else "in its own coordinates"
        info = {"n": fam.n, "k": fam.k, "d": fam.d, "space": "parameter", "summary": f"{_shape(u)}, {where}"}
    return fam, {"form": u["form"], **info, "note": note}


def _split(u: dict, n_r: int, n: int):
    if not 1 <= n_r <= n - 1:
        raise ValueError(f"{u['name']}: n_retain={n_r} is out of range: the input holds n={n} samples (retain "
                         f"first, then forget), so n_retain must be in [1, {n - 1}]")


def _pair(retain, forget, space: str) -> tuple[HessianFamily, HessianFamily, dict]:
    """Retain and forget families (in the joint range when the space allows) and the input record."""
    _pick(space, 0, 0)
    ur = _unpack(retain, "retain")
    if forget is None:
        n_r = ur["n_retain"]
        if n_r is None:
            raise ValueError(f"forget is missing and {ur['name']} holds no n_retain: pass retain and forget, or one "
                             "input holding both (retain samples first) with n_retain, e.g. "
                             "numpy.savez(path, gram=K, k=k, n_retain=n_r)")
        n_r = check_int(n_r, f"{ur['name']} (n_retain)")
        A = ur["array"]
        if ur["form"] == "gram":
            _no_gram(ur, space)
            k = ur["k"]
            if A.ndim == 2 and A.shape[0] == A.shape[1] and A.shape[0] % k == 0:
                _split(ur, n_r, A.shape[0] // k)
            R, F = gram_pair(A, n_r, k, name=f"{ur['name']} (gram)")
            for fam, who in ((R, "retain"), (F, "forget")):
                if fam.k is not None and not np.any(fam._held):
                    raise ValueError(f"{ur['name']}: the {who} samples are all zero (their rows and columns of "
                                     "gram are 0): nothing to analyse; pass the curvature of every sample")
            return R, F, {"form": "joint gram", "n_retain": n_r, "n_forget": F.n, "k": k, "d": None,
                          "space": "gram", "summary": f"joint Gram matrix, n_retain={n_r}, n_forget={F.n}, k={k}"}
        _split(ur, n_r, A.shape[0])
        uf = {**ur, "array": A[n_r:]}
        ur = {**ur, "array": A[:n_r]}
    else:
        uf = _unpack(forget, "forget")
        for u in (ur, uf):
            if u["form"] == "gram":
                raise ValueError(f"{u['name']}: separate Gram matrices lack the retain-forget cross block; pass one "
                                 "input with the joint gram of retain then forget samples and n_retain")
            if u["n_retain"] is not None:
                raise ValueError(f"{u['name']} holds n_retain (a joint retain-then-forget input): pass it alone")
    (Ar, Af), (n_r, d), (n_f, d_f) = (ur["array"], uf["array"]), _nd(ur), _nd(uf)
    if d_f != d:
        raise ValueError(f"{ur['name']} has d={d} parameters but {uf['name']} has d={d_f}: both must be "
                         "per-sample curvature of the same model")
    if ur["form"] == uf["form"] == "factors" and ur["k"] != uf["k"]:
        raise ValueError(f"{ur['name']} has k={ur['k']} columns per sample but {uf['name']} has k={uf['k']}: "
                         "pass both with the same k (the number of model outputs)")
    base = {"n_retain": n_r, "n_forget": n_f, "k": ur["k"] if ur["k"] == uf["k"] else None, "d": d}
    what = f"retain {_shape(ur)}, forget {_shape(uf)}"
    if ur["form"] == uf["form"] == "factors":
        k = ur["k"]
        used, why = _pick(space, (n_r + n_f) * k, d)
        R3, F3 = (a.reshape(a.shape[0], d, k) for a in (Ar, Af))
        if used == "gram":
            rows = np.concatenate([a.transpose(0, 2, 1).reshape(-1, d) for a in (R3, F3)])
            R, F = gram_pair(rows @ rows.T, n_r, k, name=f"Gram matrix of {ur['name']} and {uf['name']}")
        else:
            R, F = HessianFamily.from_blocks(R3, ur["name"]), HessianFamily.from_blocks(F3, uf["name"])
        return *_joint_range(R, F, used), {"form": "factors", **base, "space": used,
                                           "summary": f"{what}, computed in {_SPACE[used]} space ({why})"}
    for u in (ur, uf):
        _no_gram(u, space)
    R, F = (u["array"] if u["form"] == "family" else
            _stack(u["array"], u["name"]) if u["form"] == "stack" else
            HessianFamily.from_blocks(u["array"].reshape(*u["array"].shape[:2], -1), u["name"]) for u in (ur, uf))
    form = ur["form"] if ur["form"] == uf["form"] else "mixed"
    return *_joint_range(R, F, "parameter"), {"form": form, **base, "space": "parameter",
                                              "summary": f"{what}, parameter space"}


def _joint_range(R, F, space):
    """Both families in coordinates of range(H_r + H_f) (Gram space already is)."""
    if space == "parameter":
        coords = range_coordinates([(R, 1.0), (F, 1.0)])
        if coords is not None and coords.size:
            R, F = restrict(R, coords), restrict(F, coords)
    return R, F


# ------------------------------------------------------------------------------------------------ Lyapunov
def _rows(fam) -> np.ndarray | None:
    if isinstance(fam, PairFamily):
        r, f = _rows(fam.retain), _rows(fam.forget)
        return None if r is None or f is None else np.concatenate([r, f])
    return fam.factors if fam.is_rank_one else fam.rows if fam.is_blocks else None


def _lyapunov(rec, lr: float, *, steps: int, runs: int, seed) -> tuple[float, float]:
    """Top Lyapunov exponent (per step) and its standard error by Monte Carlo on the space of ``rec``, over the
    second half of ``steps`` steps, from :math:`\\delta_0 = \\sum_i F_i z_i`: the same numbers in any orthonormal
    coordinates of the range (parameter or Gram space). ``-inf`` when a run reaches exactly zero."""
    steps, runs, rng = check_int(steps, "steps", 2), check_int(runs, "runs", 1), as_generator(seed)
    parts = [_rows(t.family) for t in rec.terms]
    if all(p is not None for p in parts):
        rows = np.concatenate(parts)
        X = rng.standard_normal((runs, rows.shape[0])) @ rows
    else:
        X = rng.standard_normal((runs, rec.d))
    alive, acc, h = np.ones(runs, dtype=bool), np.zeros(runs), steps // 2
    with _blas(rec.d):
        for step in range(steps + 1):
            if step:
                Y = np.zeros_like(X)
                for t in rec.terms:
                    Y += t.weight * t.family.weighted_apply(t.model.draw(rng, runs), X)
                X = X - lr * Y
            nrm = np.linalg.norm(X, axis=1)
            alive &= nrm > 0
            nrm = np.where(nrm > 0, nrm, 1.0)
            if step > h:
                acc += np.log(nrm)
            X = X / nrm[:, None]
    if not alive.all():
        return float("-inf"), 0.0
    per = acc / (steps - h)
    return float(per.mean()), float(per.std(ddof=1) / np.sqrt(runs)) if runs > 1 else float("inf")


def _parallel(T: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float) -> np.ndarray | None:
    """``T_ij = (u_i . v_j)^2`` with ``|u_i|^2 = a_i``, ``|v_j|^2 = b_j``: which pairs are parallel (``None`` when some
    pair is neither parallel nor orthogonal)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = T / np.outer(a, b)
    par = np.abs(ratio - 1.0) <= tol
    return par if np.all(par | (np.abs(ratio) <= tol)) else None


def _diagonal_form(R, F, tol: float = 1e-9):
    """Rank-one members pairwise parallel or orthogonal (decided from the traces, so in any coordinates): the same
    families as diagonal factors, one coordinate per direction; ``None`` otherwise."""
    s = []
    for f in (R, F):
        if f.is_rank_one:
            s.append(f.top_eigenvalues)
            continue
        ev = np.linalg.eigvalsh(np.swapaxes(f.blocks, 1, 2) @ f.blocks)
        if np.any(ev[:, -2] > tol * max(float(ev[:, -1].max()), np.finfo(float).tiny)):
            return None  # a member of rank > 1
        s.append(ev[:, -1])
    top = max(float(s[0].max()), float(s[1].max()), np.finfo(float).tiny)
    nr, nf = (x > tol * top for x in s)
    blocks = [(R.gram_traces[np.ix_(nr, nr)], s[0][nr], s[0][nr]), (F.gram_traces[np.ix_(nf, nf)], s[1][nf], s[1][nf])]
    par = [_parallel(T, a, b, tol) for T, a, b in blocks]  # the cheap checks first
    if any(p is None for p in par):
        return None
    par.append(_parallel(cross_traces(R, F)[np.ix_(nr, nf)], s[0][nr], s[1][nf], tol))
    if par[2] is None:
        return None
    labels = np.unique(np.block([[par[0], par[2]], [par[2].T, par[1]]]).argmax(axis=1), return_inverse=True)[1]
    nz = np.concatenate([nr, nf])
    Z = np.zeros((nz.size, int(labels.max()) + 1 if labels.size else 1))
    Z[np.flatnonzero(nz), labels] = np.sqrt(np.concatenate(s)[nz])
    return HessianFamily(factors=Z[:R.n]), HessianFamily(factors=Z[R.n:])


def _blas(dim: int):
    """One BLAS thread for the many small products of a low-dimensional range (they only lose to thread start-up
    and oversubscription there); the numbers do not change."""
    return single_blas_thread() if dim <= _SMALL_DIM else nullcontext()


def _range_text(r: int, d: int | None, what: str) -> str:
    return f"{what} (dim {r} of d = {d})" if d is not None else f"{what} (dim {r}; d not known from a Gram matrix)"


def _stepper(progress):
    """``step(label, fn, *args, **kw)``: tell ``progress`` (a :class:`rmtcheck._lib.progress.Progress`) the stage,
    then return ``fn(*args, **kw)``."""
    return lambda label, fn, *args, **kw: (progress is None or progress.stage(label), fn(*args, **kw))[1]


# ------------------------------------------------------------------------------------------------ records
def stability_report(hessians, lr: float, batch: int, *, sampling: str = "bernoulli", seed: int = 0,
                     runs: int = 64, steps: int = 400, space: str = "auto", progress=None) -> dict:
    """The stability record of linearised SGD printed by ``rmtcheck stability`` (plain dict, JSON-able).

    Parameters
    ----------
    hessians : HessianFamily, array_like or mapping
        Per-sample Hessians at the minimum (module notes): ``(n, d)`` rank-one factors, ``(n, d, k)`` blocks,
        an ``(n, d, d)`` PSD stack, or ``{"gram": K, "k": k}`` (the ``FILE`` of the command).
    lr : float
        Step size :math:`\\eta > 0` (``--lr``).
    batch : int
        (Mean) batch size ``B`` in ``[1, n]`` (``--batch``).
    sampling : {"bernoulli", "without_replacement", "with_replacement"}, default "bernoulli"
    seed : int, default 0
        Seed of the Monte Carlo Lyapunov estimate.
    runs, steps : int, default 64 and 400
        Size of the Monte Carlo.
    space : {"auto", "parameter", "gram"}, default "auto"
        Where factors are analysed (module notes); the numbers do not depend on it.
    progress : rmtcheck._lib.progress.Progress, optional
        Told each stage as it starts (8: the family, coherence, the operator, lambda_max, rho(T), eta*,
        Theorem 1, the Lyapunov Monte Carlo).

    Returns
    -------
    dict
        ``n``, ``k``, ``d`` (``None`` for a Gram matrix), ``rank_one``, ``sampling``, ``lr``, ``batch``;
        ``coherence`` (:math:`\\sigma`), ``lambda_max``; ``ms_growth`` (:math:`\\rho(T)`), ``ms_stable``,
        ``critical_lr`` (:math:`\\eta^*`), ``range_dim``, ``computed_on`` and ``null_space_note`` (``None`` unless
        :math:`H` is singular or known only by its Gram matrix); ``theorem1_ratio`` (0.0 at full batch),
        ``theorem1_diverges``, ``theorem1_applies`` (bernoulli and ``B < n``); ``lyapunov``, ``lyapunov_stderr``
        (Monte Carlo on the same range); ``notions``; ``input`` (form, space, ``summary``, ``rank``).

    Raises
    ------
    ValueError
        For an invalid family (named ``FILE`` or by the mapping's ``name``), ``lr`` (``--lr``), ``batch``
        (``--batch``), ``sampling``, ``space``, ``runs`` or ``steps``.

    Notes
    -----
    For ``B < n`` the first call lambdifies Theorem 1's ratio from ``proofs/dexter_theorem1.py`` (SymPy, about
    2 s once per process).

    Examples
    --------
    >>> import numpy as np
    >>> G = np.random.default_rng(0).standard_normal((20, 5))
    >>> rep = stability_report(G, 0.5, 20, runs=8, steps=50)      # full batch: no SymPy needed
    >>> rep["ms_stable"], round(rep["ms_growth"], 4), f"{rep['critical_lr']:.4f}"
    (True, 0.7637, '1.0474')
    >>> round(rep["coherence"], 4), rep["theorem1_applies"], rep["lyapunov"] < 0
    (3.8847, False, True)
    >>> gram = stability_report({"gram": G @ G.T}, 0.5, 20, runs=8, steps=50)
    >>> gram["input"]["summary"], abs(gram["lyapunov"] / rep["lyapunov"] - 1) < 1e-9
    ('Gram matrix, n=20, k=1, rank r=5 (Gram space)', True)
    >>> G[:, 4] = 0.0                      # a singular mean Hessian: computed on its range
    >>> stability_report(G, 0.5, 20, runs=8, steps=50)["range_dim"]
    4
    """

    step = _stepper(progress)
    fam, info = step("building the family", _single, hessians, space, "FILE")
    with _blas(fam.d):
        lr = check_positive(lr, "--lr")
        batch = check_batch(batch, fam.n, "--batch")
        sig = step(f"coherence sigma ({info['summary']})", coherence, fam)
        rec = step("mean-square operator on range(H)", sgd_recursion, fam, batch, sampling=sampling)
        lam = step(f"lambda_max(H) (range dim {rec.range_dim})", rec.mean_lambda_max)
        rho = step("mean-square growth rho(T)", rec.growth, lr)
        eta_star = step("critical lr eta*", rec.critical_lr)
        if batch < fam.n:
            r = float(step("Theorem 1 ratio", th.theorem1_ratio, lr, lam, sig, fam.n, batch))
            t1 = bool(r >= 1)
        else:
            r, t1 = step("Theorem 1 ratio (full batch: none)", float, 0.0), False
        lyap, se = step("Lyapunov exponent (Monte Carlo)", _lyapunov, rec, lr, steps=steps, runs=runs, seed=seed)
        dim, d = rec.range_dim, info["d"]
        info["rank"] = dim
        info["summary"] = (f"{info['summary']}, rank r={dim}" if info["form"] != "gram" else
                           f"{info['summary']}, rank r={dim} (Gram space)")
        on = _range_text(dim, d, "range(H)")
        return {
            "n": fam.n, "k": info["k"], "d": d, "rank_one": info["k"] == 1, "sampling": sampling, "lr": lr,
            "batch": batch, "coherence": sig, "lambda_max": lam,
            "ms_growth": rho, "ms_stable": bool(rho < 1), "critical_lr": eta_star,
            "range_dim": dim, "computed_on": on,
            "null_space_note": None if d is None or dim == d else
            f"H is singular: growth, critical_lr and the Lyapunov exponent are computed on {on}, where the iterate "
            "moves; the null space never moves (factor 1)",
            "theorem1_ratio": r, "theorem1_diverges": t1,
            "theorem1_applies": sampling == "bernoulli" and batch < fam.n,
            "lyapunov": lyap, "lyapunov_stderr": se,
            "notions": {"ms_growth": "mean-square (exact operator)", "critical_lr": "mean-square (exact operator)",
                        "theorem1_diverges": "mean-square (Dexter et al. 2024, Thm 1; proved for bernoulli)",
                        "lyapunov": f"almost-sure (Monte Carlo on range(H), {runs} runs x {steps} steps, seed {seed})"},
            "input": info,
        }


def analyse(retain, forget, lr: float, batch: int, *, alpha: float, sampling: str = "independent_bernoulli",
            with_pairs: bool = True, steps: int = 400, runs: int = 128, seed: int = 0, space: str = "auto",
            progress=None) -> dict:
    """The unlearning record printed by ``rmtcheck unlearn-stability`` (plain dict, JSON-able).

    Does descent–ascent unlearning escape the pre-trained minimum (unlearning succeeds) or does the
    model resist?

    Parameters
    ----------
    retain, forget : HessianFamily, array_like or mapping
        Per-sample Hessians of the retain and forget sets at the pre-trained minimum (module notes), of the same
        ``d`` (and ``k``); or ``forget=None`` and ``retain`` a mapping with ``n_retain`` holding both sets (retain
        first): ``{"gram": K, "k": k, "n_retain": n_r}`` (the joint Gram matrix carries their alignment).
    lr : float
        Step size :math:`\\eta > 0`.
    batch : int
        Batch size ``B`` (range as in :func:`~rmtcheck.stability.unlearning.mixed_recursion`).
    alpha : float in [0, 1]
        Mixing (forget) weight, keyword-only.
    sampling : {"independent_bernoulli", "pair_bernoulli", "without_replacement"}, default "independent_bernoulli"
    with_pairs : bool, default True
        Compute the pair coherence :math:`\\sigma_{mix}` (``--no-pairs`` turns it off).
    steps, runs : int, default 400 and 128
        Size of the Monte Carlo of the almost-sure verdict (when not exact).
    seed : int, default 0
        Seed of the Monte Carlo.
    space : {"auto", "parameter", "gram"}, default "auto"
        Where factors are analysed (Gram space when :math:`(n_r + n_f)k < d` under ``auto``).
    progress : rmtcheck._lib.progress.Progress, optional
        Told each stage as it starts (7: the families, coherence, the operator, rho(T), the Lyapunov exponent,
        critical alpha, critical eta).

    Returns
    -------
    dict
        ``sampling``, ``lr``, ``batch``, ``alpha``; ``sigma_retain``, ``sigma_forget``, ``sigma_cross``,
        ``alignment``, ``sigma_mix`` (``None`` without pairs), ``sigma_mix_convention``; ``mixed_lambda_min``,
        ``mixed_lambda_max`` (spectrum of :math:`\\bar D` on the joint range); ``ms_growth``, ``escapes``
        (mean-square); ``critical_alpha``, ``resist_interval`` (or ``None``), ``critical_lr``; ``lyapunov``,
        ``lyapunov_stderr``, ``lyapunov_method`` (exact when the members are pairwise parallel or orthogonal with
        one value per direction, else Monte Carlo), ``escapes_almost_sure`` (``None`` when undecided);
        ``range_dim``, ``computed_on``; ``input``.

    Raises
    ------
    ValueError
        For invalid inputs (different ``d`` or ``k``, a Gram matrix without ``n_retain`` or with two inputs),
        ``lr``, ``batch``, ``alpha``, ``sampling``, ``space``, ``steps`` or ``runs``, or when a family or every
        pair is all zero (coherence undefined).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> R, F = rng.standard_normal((20, 5)), rng.standard_normal((10, 5))
    >>> out = analyse(R, F, 0.3, 4, alpha=0.2, steps=100, runs=32)
    >>> out["escapes"], out["escapes_almost_sure"], round(out["ms_growth"], 6)
    (False, False, 0.993893)
    >>> [round(a, 6) for a in out["resist_interval"]], round(out["critical_lr"], 6)
    ([0.0, 0.206029], 0.4981)
    >>> X = np.vstack([R, F])
    >>> joint = analyse({"gram": X @ X.T, "n_retain": 20}, None, 0.3, 4, alpha=0.2, steps=100, runs=32)
    >>> joint["input"]["summary"], round(joint["ms_growth"], 6)
    ('joint Gram matrix, n_retain=20, n_forget=10, k=1, rank r=5 (Gram space)', 0.993893)
    """

    step = _stepper(progress)
    R, F, info = step("building the families", _pair, retain, forget, space)
    with _blas(R.d):
        lr = check_positive(lr, "lr")
        # many pairs: the certified matrix-free Perron root (to 1e-12) instead of a full O(N^3) eigvalsh
        pair_kw = {"method": "matrix-free", "rtol": 1e-12} if R.n * F.n > _DENSE_PAIRS else {}
        mc = step("coherence (three axes" + (f", sigma_mix of {R.n * F.n} pairs)" if with_pairs else ")"),
                  mixed_coherence, R, F, alpha=alpha, with_pairs=with_pairs, **pair_kw)
        rec = step("mean-square operator", mixed_recursion, R, F, batch, alpha=alpha, sampling=sampling)
        rho = step("mean-square growth rho(T)", rec.growth, lr)
        lam, method, se = step("Lyapunov exponent", tuple, (None, "monte-carlo", 0.0))
        if sampling != "pair_bernoulli":
            canon = _diagonal_form(R, F) if R.k is not None and F.k is not None else (R, F)
            if canon is not None:
                try:
                    lam, method = diagonal_lyapunov(*canon, lr, batch, alpha=alpha, sampling=sampling), "exact"
                except ValueError:
                    lam = None
        if lam is None:
            lam, se = _lyapunov(rec, lr, steps=steps, runs=runs, seed=seed)
            method = "monte-carlo"
            a_s = True if lam - 3 * se > 0 else (False if lam + 3 * se < 0 else None)
        else:
            a_s = None if lam == 0.0 else bool(lam > 0)
        if step("critical alpha (resisting interval)", float, F.top_eigenvalues.max()) <= 0:
            iv, crit_alpha = None, float("inf")
        else:
            iv = resist_interval(R, F, lr, batch, sampling=sampling)
            crit_alpha = 0.0 if iv is None else iv[1]
        crit_lr = step("critical eta", rec.critical_lr)
        joint = R.d
        info["rank"] = joint
        info["summary"] += f", rank r={joint}" + (" (Gram space)" if info["form"] == "joint gram" else "")
        return {
            "sampling": sampling, "lr": lr, "batch": batch, "alpha": alpha,
            "sigma_retain": mc.sigma_retain, "sigma_forget": mc.sigma_forget, "sigma_cross": mc.sigma_cross,
            "alignment": mc.alignment, "sigma_mix": mc.sigma_mix, "sigma_mix_convention": "sqrt(|Tr(D_ij D_kl)|)",
            "sigma_mix_method": None if mc.pair is None else mc.pair.method,
            "mixed_lambda_min": mc.mixed_lambda_min, "mixed_lambda_max": mc.mixed_lambda_max,
            "ms_growth": rho, "escapes": bool(rho > 1.0), "escapes_notion": "mean-square",
            "critical_alpha": crit_alpha, "resist_interval": None if iv is None else list(iv),
            "critical_lr": crit_lr,
            "lyapunov": lam, "lyapunov_stderr": se, "lyapunov_method": method, "escapes_almost_sure": a_s,
            "range_dim": rec.range_dim,
            "computed_on": _range_text(rec.range_dim, info["d"], "range((1-alpha) H_r + alpha H_f)")
            + f"; lambda(D) on range(H_r + H_f) (dim {joint})",
            "input": info,
        }
