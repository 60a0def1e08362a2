"""``rmtcheck preflight``: before unlearning with gradient ascent, will the run forget, do nothing, or collapse?

Takes a trained model and its retain and forget data — a saved curvature ``.npz`` (``gram`` or ``factors``,
``coef``, ``losses``, ``n_retain``, ``k``), the package's NumPy MLP (``--mlp WEIGHTS.npz``) or a PyTorch model
(``--torch-model module:factory --weights CKPT``) with ``--data DATA.npz`` (``X_retain``, ``y_retain``,
``X_forget``, ``y_forget``) — and a recipe (``--lr``, ``--batch``, ``--steps``, ``--alpha``: 1 is gradient
ascent, below 1 descent–ascent), and reports the coherences, the critical learning rate and mixing weight
under both notions (mean-square, almost-sure), the finite-horizon forecast of the forget and retain losses,
and a verdict.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from rmtcheck.cli._cost import add_progress_options, cost_budget, preflight_plan
from rmtcheck.cli._inputs import _check_npz, positive_float, positive_int, read_arrays, seed_int, unit_float

MODEL_HELP = "exactly one of --curvature, --mlp or --torch-model"


def add_parser(subparsers):
    p = subparsers.add_parser("preflight", help="will a gradient-ascent unlearning run forget, stay or collapse?",
                              description=__doc__.split("\n\n")[1])
    src = p.add_argument_group("model and data (" + MODEL_HELP + ")")
    src.add_argument("--curvature", metavar="FILE.npz", help="saved curvature: gram or factors, coef, losses, n_retain")
    src.add_argument("--mlp", metavar="WEIGHTS.npz", help="NumPy MLP: sizes, activation, W0, b0, W1, b1, ...")
    src.add_argument("--torch-model", metavar="MODULE:FACTORY", help="a Python callable returning the torch.nn.Module")
    src.add_argument("--weights", metavar="CKPT", help="weights for --torch-model (.pt with weights_only, .safetensors)")
    src.add_argument("--data", metavar="DATA.npz", help="X_retain, y_retain, X_forget, y_forget")
    src.add_argument("--loss", choices=("mse", "bce", "ce"), default="ce", help="training loss (default ce)")
    src.add_argument("--params", nargs="+", help="torch: parameter names or prefixes to take the curvature over")
    p.add_argument("--lr", type=positive_float, required=True, help="step size eta > 0")
    p.add_argument("--batch", type=positive_int, required=True, help="batch size B of the retain and forget batches")
    p.add_argument("--steps", type=positive_int, required=True, help="number of unlearning steps")
    p.add_argument("--alpha", type=unit_float, default=1.0, help="forget weight: 1 = gradient ascent (default), <1 GDA")
    p.add_argument("--sampling", choices=("independent_bernoulli", "without_replacement"),
                   default="independent_bernoulli", help="batch model (default independent_bernoulli)")
    p.add_argument("--forget-rise", type=positive_float, default=0.5, help="forget-loss rise that counts as leaving (0.5)")
    p.add_argument("--retain-rise", type=positive_float, default=0.5, help="retain-loss rise that counts as collapse (0.5)")
    p.add_argument("--no-almost-sure", action="store_true", help="skip the Lyapunov Monte Carlo (almost-sure notion)")
    p.add_argument("--no-critical-alpha", action="store_true",
                   help="skip the mean-square critical alpha (a root search; the slow part on multi-class models)")
    p.add_argument("--rank-rtol", type=float, default=1e-10,
                   help="drop Gram eigenvalues below this fraction of the largest (default 1e-10: exact; 1e-6 is "
                        "much faster on multi-class models and recorded in the report)")
    p.add_argument("--forecast", choices=("auto", "tangent", "quadratic"), default="auto",
                   help="forecast model: tangent (run the recipe on the linearised network with the exact loss; "
                        "auto when the curvature has the Jacobian Gram) or quadratic (exact moments, quadratic loss)")
    p.add_argument("--forecast-runs", type=positive_int, default=64, help="simulated runs of the tangent forecast (64)")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the Monte Carlo (0)")
    p.add_argument("--plot", metavar="FILE", help="write the forecast against the learning rate (.png or .pdf)")
    p.add_argument("--json", action="store_true", help="print one JSON record")
    add_progress_options(p)
    p.set_defaults(func=run)
    return p


def _data(path) -> tuple:
    if path is None:
        raise ValueError("--data DATA.npz is required with --mlp or --torch-model")
    z = read_arrays(path, "--data")
    missing = [k for k in ("X_retain", "y_retain", "X_forget", "y_forget") if k not in z]
    if missing:
        raise ValueError(f"--data {path!r} lacks {missing}; it must hold X_retain, y_retain, X_forget, y_forget")
    return z["X_retain"], z["y_retain"], z["X_forget"], z["y_forget"]


def _budget(args, n_retain: int, n_forget: int, k: int, params: int | None = None, jacobian: bool = False) -> None:
    """Print the cost estimate when large, and refuse (naming ``--force``) beyond the memory available."""
    cost_budget(preflight_plan(n_retain, n_forget, k, params=params, jacobian=jacobian, steps=args.steps,
                               forecast_runs=args.forecast_runs), args.prog, args.force)


def _from_curvature(args):
    from rmtcheck.stability.gram import SampleCurvature, load_curvature

    if Path(args.curvature).is_file():  # object arrays and malformed members are refused from the headers first
        _check_npz(Path(args.curvature), "--curvature")
    z = load_curvature(args.curvature, name="--curvature")
    for key in ("coef", "losses", "n_retain"):
        if z.get(key) is None:
            raise ValueError(f"--curvature {args.curvature!r} lacks {key!r}; save coef, losses and n_retain with the "
                             "curvature (rmtcheck.stability.gram.save_curvature)")
    F = z.get("factors")
    if F is not None and F.ndim == 2:
        F = F[:, :, None]
    k = int(z["k"] or 1)
    n_all = F.shape[0] if F is not None else np.shape(z.get("gram"))[0] // k
    n_r = int(z["n_retain"])
    if 0 < n_r < n_all:
        _budget(args, n_r, n_all - n_r, k)
    cur = SampleCurvature(k=z["k"], factors=F, gram=z.get("gram"), coef=z["coef"], losses=z["losses"],
                          loss=z.get("loss"), outputs=z.get("outputs"), targets=z.get("targets"),
                          jacobian_gram=z.get("jacobian_gram"))
    return cur, z["n_retain"]


def _from_mlp(args):
    from rmtcheck.curvature import gauss_newton_factors
    from rmtcheck.studies.spectral import mlp

    w = read_arrays(args.mlp, "--mlp")
    if "sizes" not in w:
        raise ValueError(f"--mlp {args.mlp!r} lacks 'sizes' (the layer widths d_in, ..., n_classes)")
    model = mlp.MLP(tuple(int(s) for s in w["sizes"]), str(w["activation"]) if "activation" in w else "relu")
    params = []
    for layer in range(model.n_layers):
        for key in (f"W{layer}", f"b{layer}"):
            if key not in w:
                raise ValueError(f"--mlp {args.mlp!r} lacks {key!r} (layers W0, b0, ..., W{model.n_layers - 1}, "
                                 f"b{model.n_layers - 1})")
            params.append(np.asarray(w[key], dtype=float))
    Xr, yr, Xf, yf = _data(args.data)
    _budget(args, len(yr), len(yf), int(model.sizes[-1]), sum(a.size for a in params), jacobian=True)
    X, y = np.concatenate([Xr, Xf]), np.concatenate([yr, yf])
    J = mlp.output_jacobian(model, params, X)
    form = "gram" if J.shape[1] * X.shape[0] < J.shape[2] else "factors"
    return gauss_newton_factors(J, mlp.forward(model, params, X), y, "ce", form=form, root="factored"), len(yr)


def _from_torch(args):
    import importlib

    from rmtcheck.curvature import load_into, load_state_dict, torch_curvature

    mod, _, attr = args.torch_model.partition(":")
    if not attr:
        raise ValueError(f"--torch-model must be MODULE:FACTORY (e.g. mypkg.models:make_net); got {args.torch_model!r}")
    try:
        factory = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"--torch-model {args.torch_model!r}: {exc}") from None
    model = factory()
    if args.weights:
        load_into(model, load_state_dict(args.weights))
    Xr, yr, Xf, yf = _data(args.data)
    try:  # classes, for the estimate only (the curvature checks the labels against the model's outputs)
        k = max(1, int(np.max(np.concatenate([np.ravel(yr), np.ravel(yf)]))) + 1) if args.loss == "ce" else 1
    except (TypeError, ValueError):
        k = 1
    _budget(args, len(yr), len(yf), k, sum(int(p.numel()) for p in model.parameters()))
    X, y = np.concatenate([Xr, Xf]), np.concatenate([yr, yf])
    root = "factored" if args.loss == "ce" else "symmetric"
    return torch_curvature(model, X, y, loss=args.loss, params=args.params, root=root), len(yr)


def _symlog_ticks(lo: float, hi: float, lin: float) -> list[float]:
    """Zero and the powers of ten beyond ``lin`` inside ``[lo, hi]``, every second decade when there are many, so
    that the labels of a symlog axis never overlap."""
    k0 = int(np.ceil(np.log10(lin)))
    pos = [10.0**k for k in range(k0, int(np.floor(np.log10(max(hi, lin)))) + 1) if 10.0**k <= hi]
    neg = [-(10.0**k) for k in range(k0, int(np.floor(np.log10(max(-lo, lin)))) + 1) if -(10.0**k) >= lo]
    step = 1 if len(pos) + len(neg) <= 8 else 2
    return sorted(neg[::step] + [0.0] + pos[::step])


def _plot(report, path) -> None:
    """The forecast's loss rises against the step size, one column wide (3.25 in) with every text in [7, 10] pt
    (the package's figure style; a ``.pdf`` is checked with :func:`rmtcheck.plotting.printed.check_printed`)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    from rmtcheck.plotting.printed import check_printed, figure_size
    from rmtcheck.plotting.registry import style

    c, r = report.lr_curve, report.recipe
    stat = "median" if c["model"] == "tangent" else "mean"
    with style() as plt:
        fig, ax = plt.subplots(figsize=figure_size("column", 3.3))
        for key, label, color, ls, mk in (("forget", "forget loss", "C1", "-", "o"), ("retain", "retain loss", "C0", "--", "s")):
            y, sd = np.asarray(c[f"{key}_rise"], float), np.asarray(c[f"{key}_sd"], float)
            ok = np.isfinite(y) & np.isfinite(sd)
            x, y, sd = np.asarray(c["lr"], float)[ok], y[ok], sd[ok]
            ax.fill_between(x, y - sd, y + sd, color=color, alpha=0.25, lw=0)
            ax.plot(x, y, color=color, ls=ls, marker=mk, ms=3, label=f"{label} rise, {stat} ± 1 sd")
        ax.axhline(r["forget_rise"], color="C1", ls=":", lw=1.2, label=f"leave: forget loss +{r['forget_rise']:g}")
        ax.axhline(r["retain_rise"], color="C0", ls="-.", lw=1.0, label=f"collapse: retain loss +{r['retain_rise']:g}")
        ax.axvline(r["lr"], color="k", lw=0.8, label=r"the recipe's step size $\eta$")
        ax.set_xscale("log")
        thr = min(r["forget_rise"], r["retain_rise"])
        ax.set_yscale("symlog", linthresh=1e-2 * thr)  # rises are signed (a retain loss can fall)
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, -10 * max(r["forget_rise"], r["retain_rise"])), hi)  # deep negative sd bands clipped
        ax.yaxis.set_major_locator(FixedLocator(_symlog_ticks(*ax.get_ylim(), 1e-2 * thr)))
        for axis in (ax.xaxis, ax.yaxis):  # plain numbers: mathtext powers of ten print below 7 pt
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(r"step size $\eta$")
        ax.set_ylabel(f"loss rise after {r['steps']} steps (nats)")
        ax.set_title(f"{r['method']}, batch {r['batch']}, " + r"$\alpha$" + f" = {r['alpha']:g}: {c['model']} forecast")
        fig.legend(loc="outside lower center", ncol=1)
        fig.savefig(path, metadata={"Software": None} if str(path).endswith(".png") else {"CreationDate": None})
        plt.close(fig)
    if str(path).lower().endswith(".pdf") and (problems := check_printed(path)):
        raise ValueError(f"--plot {path}: the figure breaks the print rules: {'; '.join(problems)}")


class _StageLines:
    """A stderr stand-in that turns the library's ``"preflight: STAGE"`` lines into :class:`Progress` stages (with
    the seconds elapsed) and passes every other line through to the real stderr."""

    def __init__(self, prog, real):
        self.prog, self.real, self.buf = prog, real, ""

    def write(self, text: str) -> int:
        self.buf += text
        while "\n" in self.buf:
            line, self.buf = self.buf.split("\n", 1)
            if line.startswith("preflight: "):
                self.prog.stage(line[len("preflight: "):])
            else:
                self.real.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        if self.buf:
            self.real.write(self.buf)
            self.buf = ""
        self.real.flush()

    def isatty(self) -> bool:
        return False


def run(args) -> int:
    import contextlib

    from rmtcheck._lib.progress import Progress

    real = sys.stderr
    with Progress("rmtcheck preflight", quiet=args.quiet, stream=real) as prog:
        lines = _StageLines(prog, real)
        with contextlib.redirect_stderr(lines):
            try:
                return _run(args, prog)
            finally:
                lines.flush()


def _run(args, prog) -> int:
    from rmtcheck._lib.jsonable import jsonable
    from rmtcheck.stability.preflight import Recipe, preflight

    chosen = [a for a in (args.curvature, args.mlp, args.torch_model) if a]
    if len(chosen) != 1:
        raise ValueError(f"give {MODEL_HELP}; got {len(chosen)}")
    recipe = Recipe(lr=args.lr, batch=args.batch, steps=args.steps, alpha=args.alpha, sampling=args.sampling,
                    forget_rise=args.forget_rise, retain_rise=args.retain_rise)
    prog.stage("per-sample curvature")
    args.prog = prog
    load = _from_curvature if args.curvature else (_from_mlp if args.mlp else _from_torch)
    cur, n_retain = load(args)
    rep = preflight(cur, n_retain, recipe, rng=args.seed, almost_sure=not args.no_almost_sure,
                    progress=not args.quiet,
                    rank_rtol=args.rank_rtol, critical_alpha_ms=not args.no_critical_alpha,
                    forecast_model=args.forecast, forecast_runs=args.forecast_runs)
    if args.plot:
        prog.stage(f"plot {args.plot}")
        _plot(rep, args.plot)
    if args.json:
        print(json.dumps(jsonable(rep.to_dict(), max_array=None), indent=2))
        return 0
    fmt = lambda v, f=".4g": "n/a" if v is None else format(v, f)  # noqa: E731
    fc = rep.forecast
    stat = "median" if fc["model"] == "tangent" else "mean"
    lines = [
        f"input               {rep.n_retain} retain + {rep.n_forget} forget samples, "
        f"{rep.n_params if rep.n_params else '?'} parameters, Gram rank {rep.rank}",
        f"recipe              {rep.recipe['method']}: eta={args.lr:g}, B={args.batch}, alpha={args.alpha:g}, "
        f"{args.steps} steps, {args.sampling}",
        f"coherence           sigma_r={rep.sigma_retain:.4g}  sigma_f={rep.sigma_forget:.4g}  "
        f"sigma_mix={fmt(rep.sigma_mix)}",
        f"mean-square         rho(T)={rep.ms_growth:.6g}; critical eta={fmt(rep.critical_lr['mean-square'])}, "
        f"critical alpha={fmt(rep.critical_alpha['mean-square'])}",
        f"almost-sure         Lyapunov={fmt(rep.lyapunov['value'])} (Monte Carlo); critical eta="
        f"{fmt(rep.critical_lr['almost-sure'])}, critical alpha={fmt(rep.critical_alpha['almost-sure'])}",
        f"forecast            {fc['model']} model, {stat}: forget loss {fc['forget_loss_0']:.4g} -> "
        f"{fc[f'forget_loss_{stat}'][-1]:.4g} (sd {fc['forget_loss_sd'][-1]:.3g}); retain loss "
        f"{fc['retain_loss_0']:.4g} -> {fc[f'retain_loss_{stat}'][-1]:.4g} (sd {fc['retain_loss_sd'][-1]:.3g})",
        f"boundaries          leave at eta~{fmt(rep.lr_curve['leave_lr'])}, collapse at eta~"
        f"{fmt(rep.lr_curve['collapse_lr'])} (forecast over {args.steps} steps)",
        f"verdict             {rep.verdict.upper()}: {rep.sentence}",
    ]
    lines += [f"note                {n}" for n in rep.notes]
    print("\n".join(lines))
    return 0
