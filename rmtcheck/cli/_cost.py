"""What ``rmtcheck stability`` / ``unlearn-stability`` will cost, and refusing what the machine cannot hold (private).

:func:`estimate` gives rough peak memory and time from the sizes, for the route
:mod:`rmtcheck.stability.report` takes (``--space auto``: Gram space when :math:`nk < d`): the second-moment
operator acts on :math:`D \\times D` matrices (:math:`D = d` in parameter space, :math:`nk` in Gram space; eigsh
keeps ~32 of them), the Gram route holds :math:`(nk)^2` matrices, coherence :math:`n \\times n` trace matrices,
the Monte Carlo ``runs x nk`` draws, and :math:`\\sigma_{mix}` is :math:`O(N^2)` in the :math:`N = n_r n_f` pairs.
Constants were calibrated on a 2-core machine (good to a factor of about 2-3). :func:`cost_budget` prints the
estimate (one stderr line) when it exceeds ~2 s and refuses, naming ``--force``, when the memory exceeds
:func:`rmtcheck._lib.progress.available_memory`.
"""

from __future__ import annotations

from rmtcheck._lib import progress as pg

__all__ = ["estimate", "single_plan", "pair_plan", "preflight_plan", "cost_budget", "add_progress_options"]

_LANCZOS_COPIES = 32   # D x D matrices alive while eigsh runs on range(H) (ncv = 20 Lanczos vectors + work)
_SEC_OPERATOR = 7e-9   # seconds per unit of D^3 + rows D^2 (rho(T), eta*: several Lanczos solves)
_SEC_FLOP = 2e-10      # seconds per multiply-add of BLAS-bound work (Gram matrices, coherence, stacks)
_SEC_MC = 6e-11        # seconds per multiply-add of the Lyapunov Monte Carlo (runs x steps x rows x D)
_SEC_PAIR = 2e-9       # seconds per (pair x pair) of the matrix-free sigma_mix Perron root
_DENSE_PAIRS = 400     # up to this many pairs sigma_mix is a small dense eigenproblem
_SHOW_SECONDS = 2.0    # print the estimate above this


def estimate(form: str, n: int, d: int | None, k: int | None, space: str, *, runs: int, steps: int,
             n_forget: int = 0, pairs: bool = False) -> dict:
    """Rough peak memory (bytes, beyond the input arrays) and time (seconds) of a report.

    Parameters
    ----------
    form : {"factors", "gram", "stack"}
    n, d, k : int
        Samples (retain samples for a pair), parameters (``None`` for a Gram matrix), columns per sample.
    space : {"parameter", "gram"}
        The route taken.
    runs, steps : int
        Size of the Lyapunov Monte Carlo.
    n_forget : int
        Forget samples (``unlearn-stability``).
    pairs : bool
        Whether :math:`\\sigma_{mix}` is computed.

    Returns
    -------
    dict
        ``bytes``, ``seconds``, ``dim`` (``D``), ``space``, ``where`` (text).
    """
    kk = 1 if k is None else int(k)
    n_all = int(n) + int(n_forget)
    rows = n_all * kk
    gram = space == "gram" or form == "gram"
    D = rows if gram or d is None else min(int(d), rows) if form == "factors" else int(d)
    mem = {"the second-moment operator": _LANCZOS_COPIES * D * D * 8.0}
    sec = _SEC_OPERATOR * (float(D) ** 3 + float(rows) * D * D)
    if gram:
        mem["the Gram matrix"] = 4 * float(rows) ** 2 * 8
        sec += _SEC_FLOP * (float(rows) ** 3 + (float(rows) ** 2 * d if d else 0.0))
    elif form == "stack":
        mem["the dense stack"] = 2 * float(n_all) * d * d * 8
        sec += _SEC_FLOP * 10 * float(n_all) * float(d) ** 3
    elif d is not None:
        mem["the range coordinates"] = 3 * float(d) * d * 8 + float(rows) * d * 8
        sec += _SEC_FLOP * (float(rows) * d * d)
    cross = float(n) ** 2 + float(n_forget) ** 2 + float(n) * n_forget
    mem["the n x n coherence matrices"] = 3 * 8 * cross
    sec += _SEC_FLOP * cross * D
    mem["the Monte Carlo"] = 3 * 8 * float(runs) * max(rows, D)
    sec += _SEC_MC * float(runs) * steps * rows * D
    N = float(n) * n_forget
    if pairs and N > _DENSE_PAIRS:
        mem[f"sigma_mix over {int(N)} pairs; --no-pairs skips it"] = 24 * 8 * N
        sec += _SEC_PAIR * N * N
    top = max(mem, key=mem.get)
    where = f"{'Gram' if gram else 'parameter'} space, dim {D}; mostly {top}"
    return {"bytes": sum(mem.values()), "seconds": sec, "dim": D, "space": "gram" if gram else "parameter",
            "where": where}


def _route(space: str, rows: int, d: int) -> str:
    """The rule of :func:`rmtcheck.stability.report` for factors: Gram space when ``n k < d`` under ``auto``."""
    return space if space != "auto" else ("gram" if rows < d else "parameter")


def _sizes(x) -> tuple:
    """``(form, n, d, k)`` of a mapping from :func:`rmtcheck.cli._inputs.load_input`."""
    if "gram" in x:
        k = int(x.get("k") or 1)
        return "gram", x["gram"].shape[0] // k, None, k
    if "stack" in x:
        return "stack", x["stack"].shape[0], x["stack"].shape[1], None
    F = x["factors"]
    return "factors", F.shape[0], F.shape[1], 1 if F.ndim == 2 else F.shape[2]


def single_plan(x, space: str, **mc) -> dict | None:
    """:func:`estimate` for ``rmtcheck stability`` on the loaded input ``x`` (``None`` when its shape is odd: the
    report then says what is wrong)."""
    try:
        form, n, d, k = _sizes(x)
        used = "gram" if form == "gram" else "parameter" if form == "stack" else _route(space, n * k, d)
        return estimate(form, n, d, k, used, **mc)
    except (KeyError, AttributeError, IndexError, TypeError, ValueError):
        return None


def pair_plan(retain, forget, space: str, *, pairs: bool, **mc) -> dict | None:
    """:func:`estimate` for ``rmtcheck unlearn-stability`` (two inputs, or one joint input with ``n_retain``)."""
    try:
        form, n, d, k = _sizes(retain)
        if forget is None:
            n_r = int(retain["n_retain"])
            n_f = n - n_r
        else:
            form_f, n_f, _, k_f = _sizes(forget)
            if "gram" in (form, form_f):  # separate Gram matrices are refused by the report
                return None
            n_r, form = n, form if form == form_f else "stack"
            k = k if k == k_f else None
        if n_f < 1:
            return None
        used = ("gram" if form == "gram" else "parameter" if form == "stack" or k is None
                else _route(space, (n_r + n_f) * k, d))
        return estimate(form, n_r, d, k, used, n_forget=n_f, pairs=pairs, **mc)
    except (KeyError, AttributeError, IndexError, TypeError, ValueError):
        return None


_FORECAST_COPIES = 6            # (runs x n k) arrays of the tangent forecast alive at once
_FORECAST_POINTS = 24           # learning rates of the forecast curve (each runs the recipe)


def preflight_plan(n_retain: int, n_forget: int, k: int, *, params: int | None = None, jacobian: bool = False,
                   steps: int, runs: int = 64, forecast_runs: int = 64) -> dict:
    """:func:`estimate` for ``rmtcheck preflight``: the curvature in Gram space (dimension ``(n_r + n_f) k``), the
    Lyapunov Monte Carlo (``runs`` x 200 steps), :math:`\\sigma_{mix}` when the preflight computes it, the tangent
    forecast (``forecast_runs`` x ``steps`` over about two dozen step sizes), plus — when ``jacobian`` — the
    ``n k x params`` output Jacobian that the NumPy MLP materialises before its Gram matrix.

    Parameters
    ----------
    n_retain, n_forget, k : int
        Retain and forget samples, curvature columns per sample (classes for cross-entropy).
    params : int, optional
        Parameters of the model (``None`` when the curvature is given).
    jacobian : bool
        Whether the full Jacobian is held (the ``--mlp`` route; the torch route works in chunks).
    steps : int
        Steps of the recipe.
    runs, forecast_runs : int
        Monte Carlo runs of the almost-sure notion and of the forecast.

    Returns
    -------
    dict
        As :func:`estimate`.
    """
    from rmtcheck.stability.preflight import PAIRS_MAX  # above it, the preflight skips sigma_mix

    pairs = n_retain * n_forget <= PAIRS_MAX
    est = estimate("gram", n_retain, params, k, "gram", runs=runs, steps=200, n_forget=n_forget, pairs=pairs)
    rows = float(n_retain + n_forget) * k
    fc = _FORECAST_COPIES * 8.0 * forecast_runs * rows
    est["bytes"] += fc
    est["seconds"] += _SEC_MC * _FORECAST_POINTS * forecast_runs * float(steps) * rows * 8
    if jacobian and params:
        jac = 2 * 8.0 * rows * params  # the Jacobian and its Gauss-Newton factors
        est["bytes"] += jac
        est["seconds"] += _SEC_FLOP * rows * rows * params
        if jac > fc and jac > 4 * 8 * rows**2:
            est["where"] = f"Gram space, dim {int(rows)}; mostly the {int(rows)} x {params} output Jacobian"
    return est


def cost_budget(est: dict | None, progress, force: bool) -> None:
    """Print the estimate (one stderr line) when it is over ~2 s or over the memory available; refuse (exit 2
    through ``ValueError``, naming ``--force``) when the memory exceeds what the machine has, unless ``force``."""
    if est is None:
        return
    avail = pg.available_memory()
    if est["seconds"] > _SHOW_SECONDS or (avail is not None and est["bytes"] > avail):
        have = "" if avail is None else f"; {pg.format_bytes(avail)} available"
        progress.note(f"estimate ~{pg.format_bytes(est['bytes'])} memory, ~{pg.format_seconds(est['seconds'])} "
                      f"({est['where']}{have})", now=True)
    pg.memory_guard(est["bytes"], est["where"], force)


def add_progress_options(p) -> None:
    """``--quiet`` and ``--force`` of ``stability`` and ``unlearn-stability``."""
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress on stderr (one line per stage with the seconds elapsed; errors still appear)")
    p.add_argument("--force", action="store_true",
                   help="run even when the estimated memory exceeds what this machine has available")
