"""Mutation testing of the mathematics: do the test suite and ``rmtcheck verify`` notice a one-line bug?

Each mutant in :data:`MUTANTS` is one hand-chosen, one-line bug a person could make in the mathematics
(a wrong sampling coefficient, a dropped operator term, a flipped sign, a wrong branch, a loosened
tolerance, a wrong bound, metric or closed form, a slip in a SymPy derivation): ``(id, file, original text,
replacement text, category, description)``. The original text must occur exactly once in its file;
otherwise the mutant is reported as ``stale`` (the code moved on: update the entry) and not run.

For every mutant, in a scratch checkout (never in the repository itself):

(a) the test suite, ``CI=true python -m pytest -x -q -p no:cacheprovider``: first the tests that exercise
    the mutated module (its folder's tests, test files that name the module, the module's own doctests),
    then, only if they all pass, the rest of the suite. Killed = non-zero exit (a timeout is a kill,
    counted apart);
(b) ``python -m rmtcheck verify`` on its defaults. Killed = non-zero exit *and* the output names at least
    one row as ``VIOLATED`` or ``error`` (a non-zero exit naming no row is reported as ``crashed``, not a kill).

Usage::

    python tools/mutation.py                     # every mutant on a fresh clone of HEAD; writes tools/mutation_score.json
    python tools/mutation.py --only ID,ID        # a subset (the JSON then holds only those)
    python tools/mutation.py --list              # the mutants
    python tools/mutation.py --check             # does every mutant apply (original text once) and compile? runs nothing
    python tools/mutation.py --with-worktree     # the clone also gets the repository's uncommitted changes
    python tools/mutation.py --source DIR        # mutate the checkout DIR in place (each file restored afterwards)
    python tools/mutation.py --deselect tests/x.py::test_y  # a test that already fails unmutated (repeatable)
    python tools/mutation.py --jobs 2 --timeout 900 --output PATH --keep --no-baseline --no-tests --no-verify

The scratch clone is imported through ``PYTHONPATH`` and a generated ``sitecustomize`` that maps the packages
``rmtcheck`` and ``rmtcheck.proofs`` onto it (the editable install maps ``rmtcheck.proofs`` onto the installed
repository's ``proofs/`` whatever ``PYTHONPATH`` says); every checkout is checked to import its own copy
before anything runs. A baseline (unmutated suite and ``verify``) must pass first (``--no-baseline`` skips it).
Bytecode goes to a scratch ``PYTHONPYCACHEPREFIX`` (the mutated module's cache entry is dropped before and
after each mutant), temporary files to a scratch ``TMPDIR``; the scratch folder is removed at the end
(``--keep`` keeps it). Exit status 0 when both kill rates meet their targets (:data:`TARGETS`), 1 otherwise,
2 when the baseline or the set-up failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as _dt
import hashlib
import json
import os
import platform
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "tools" / "mutation_score.json"
#: Kill rates the issue asks for: of the mutants run, by the test suite and by ``rmtcheck verify`` alone.
TARGETS = {"tests": 0.95, "verify": 0.90}
PYTEST = ("-m", "pytest", "-x", "-q", "-p", "no:cacheprovider")
VERIFY = ("-m", "rmtcheck", "verify")


class Mutant(NamedTuple):
    id: str
    file: str
    original: str
    replacement: str
    category: str
    description: str


M = Mutant
#: The mutants, in the order they run and are reported.
MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------------ stability/sampling.py: kappa, nu per batch model
    M("sampling-bernoulli-nu-fpc", "rmtcheck/stability/sampling.py",
      "return (1.0 - B / n) / (n * B)", "return 1.0 / (n * B)",
      "coefficient", "bernoulli nu loses its finite-population factor (1 - B/n): nu = 1/(nB)"),
    M("sampling-wor-p-n-minus-1", "rmtcheck/stability/sampling.py",
      "(n - B) / (B * (n - 1))", "(n - B) / (B * n)",
      "coefficient", "without_replacement p = (n-B)/(B(n-1)) written with n instead of n - 1"),
    M("sampling-wor-nu-divisor", "rmtcheck/stability/sampling.py",
      "return self._p / n", "return self._p / B",
      "coefficient", "without_replacement nu = p/B instead of p/n"),
    M("sampling-wr-kappa-sign", "rmtcheck/stability/sampling.py",
      "return -1.0 / B", "return 1.0 / B",
      "sign", "with_replacement kappa = +1/B instead of -1/B"),
    # ------------------------------------------------------------------ stability/operator.py: the second-moment operator
    M("operator-mean-sign", "rmtcheck/stability/operator.py",
      "a = 1.0 - lr * self._dbar", "a = 1.0 + lr * self._dbar",
      "sign", "mean part (I + eta D) M (I + eta D) for a diagonal mean"),
    M("operator-noise-eta-power", "rmtcheck/stability/operator.py",
      "return self._mean_part(M, lr) + (lr * lr) * self._noise(M)", "return self._mean_part(M, lr) + lr * self._noise(M)",
      "operator", "batch-noise term scaled by eta instead of eta^2"),
    M("operator-noise-weight-abs", "rmtcheck/stability/operator.py",
      "c = t.weight * t.weight", "c = abs(t.weight)",
      "operator", "noise term of a family weighted by |w_t| instead of w_t^2 (SGD unaffected, descent-ascent wrong)"),
    M("operator-kappa-sign", "rmtcheck/stability/operator.py",
      "out += (c * t.model.kappa) * (hb", "out -= (c * t.model.kappa) * (hb",
      "sign", "kappa (batch-correlation) term subtracted in the matrix-free operator"),
    M("operator-diagonal-sum-mean", "rmtcheck/stability/operator.py",
      "t.model.nu * (t.family.diagonals**2).sum(axis=0)", "t.model.nu * (t.family.diagonals**2).mean(axis=0)",
      "operator", "closed-form diagonal growth: nu times the mean of H_i^2 instead of the sum"),
    M("operator-critical-lr-tolerance", "rmtcheck/stability/operator.py",
      "if rho - 1.0 <= 1e-14:", "if rho - 1.0 <= 1e-3:",
      "tolerance", "critical_lr accepts rho(T) <= 1 + 1e-3 as the root"),
    # ------------------------------------------------------------------ stability/unlearning.py: descent-ascent
    M("unlearning-forget-sign", "rmtcheck/stability/unlearning.py",
      "Term(forget, -alpha, SamplingModel(model, forget.n, B))", "Term(forget, alpha, SamplingModel(model, forget.n, B))",
      "sign", "forget family descended (+alpha) instead of ascended (-alpha)"),
    M("unlearning-retain-weight", "rmtcheck/stability/unlearning.py",
      "Term(retain, 1.0 - alpha, SamplingModel(model, retain.n, B))", "Term(retain, 1.0, SamplingModel(model, retain.n, B))",
      "coefficient", "retain family weighted 1 instead of 1 - alpha"),
    M("unlearning-mixed-hessian-sign", "rmtcheck/stability/unlearning.py",
      "return (1 - a) * retain.mean - a * forget.mean", "return (1 - a) * retain.mean + a * forget.mean",
      "sign", "mixed_hessian (1-alpha) H_r + alpha H_f"),
    M("unlearning-lyapunov-forget-sign", "rmtcheck/stability/unlearning.py",
      "+ lr * a * mf * np.arange(sf + 1)[None, :] / B", "- lr * a * mf * np.arange(sf + 1)[None, :] / B",
      "sign", "exact diagonal Lyapunov exponent: forget count enters J with the descent sign"),
    M("unlearning-critical-alpha-end", "rmtcheck/stability/unlearning.py",
      "return 0.0 if iv is None else iv[1]", "return 0.0 if iv is None else iv[0]",
      "branch", "critical_alpha returns the lower end of the resist interval"),
    # ------------------------------------------------------------------ stability/thresholds.py, coherence, three_axis, gram
    M("thresholds-theorem2-source", "rmtcheck/stability/thresholds.py",
      '"theorem2_lr": t2["critical_lr"],', '"theorem2_lr": t1["critical_lr_bound"],',
      "closed-form", "theorem2_lr lambdified from Theorem 1's bound (copy-paste)"),
    M("coherence-matrix-sqrt", "rmtcheck/stability/coherence.py",
      "return np.sqrt(np.maximum(fam.gram_traces, 0.0))", "return np.maximum(fam.gram_traces, 0.0)",
      "metric", "coherence matrix of a full-rank stack: Tr(H_i H_j) instead of its square root"),
    M("three-axis-cross-weight", "rmtcheck/stability/three_axis.py",
      "C = a * (1 - a) * cross_traces(r, f)", "C = a * cross_traces(r, f)",
      "coefficient", "pair coherence: cross block weighted alpha instead of alpha (1 - alpha)"),
    M("three-axis-cross-coherence-sqrt", "rmtcheck/stability/three_axis.py",
      "top = float(np.sqrt(r.top_eigenvalues.max() * f.top_eigenvalues.max()))",
      "top = float(r.top_eigenvalues.max() * f.top_eigenvalues.max())",
      "metric", "cross coherence normalised by lambda_r lambda_f instead of its square root"),
    M("gram-mean-n-minus-1", "rmtcheck/stability/gram.py",
      'fam.__dict__["mean"] = np.diag(s / fam.n)', 'fam.__dict__["mean"] = np.diag(s / (fam.n - 1))',
      "coefficient", "Gram-space family mean divided by n - 1 instead of n"),
    # ------------------------------------------------------------------ stability/_secular.py: the secular route
    M("secular-kappa-sign", "rmtcheck/stability/_secular.py",
      "A += (c * t.model.kappa) * np.outer(hb, hb)", "A -= (c * t.model.kappa) * np.outer(hb, hb)",
      "sign", "secular form: kappa term subtracted from the diagonal part A"),
    M("secular-block-sqrt", "rmtcheck/stability/_secular.py",
      "self.blocks.append((np.sqrt(c * t.model.nu), R, fam.n, fam.k))",
      "self.blocks.append((c * t.model.nu, R, fam.n, fam.k))",
      "operator", "secular form: sample-side scale eta^2 w^2 nu instead of its square root"),
    # ------------------------------------------------------------------ randmat: Marchenko-Pastur, Tracy-Widom, power law
    M("mp-upper-edge", "rmtcheck/randmat/marchenko_pastur.py",
      "return (1.0 - sq) ** 2, (1.0 + sq) ** 2", "return (1.0 - sq) ** 2, (1.0 + q) ** 2",
      "closed-form", "Marchenko-Pastur upper edge (1 + q)^2 instead of (1 + sqrt q)^2"),
    M("tracy-widom-centring", "rmtcheck/randmat/marchenko_pastur.py",
      "r = np.sqrt(n1 - 1) + np.sqrt(p)", "r = np.sqrt(n1) + np.sqrt(p)",
      "closed-form", "Johnstone's centring and scale with sqrt(n) instead of sqrt(n - 1)"),
    M("mp-ks-normalisation", "rmtcheck/randmat/marchenko_pastur.py",
      "E = np.sort(E, axis=1)[:, -min(n, k):] / k", "E = np.sort(E, axis=1)[:, -min(n, k):] / n",
      "metric", "mp_ks normalises the Gram eigenvalues by n instead of k"),
    M("mp-density-x", "rmtcheck/randmat/_mp_law.py",
      "val = np.sqrt(np.clip((b - xs) * (xs - a), 0.0, None)) / (self._norm(q) * xs)",
      "val = np.sqrt(np.clip((b - xs) * (xs - a), 0.0, None)) / self._norm(q)",
      "closed-form", "Marchenko-Pastur density without its 1/x factor"),
    M("powerlaw-alpha-plus-one", "rmtcheck/randmat/_ks_scan.py",
      "1.0 + m / np.where(logsum > 0, logsum, 1.0)", "m / np.where(logsum > 0, logsum, 1.0)",
      "closed-form", "power-law MLE alpha = m / sum log(x/xmin), the 1 + dropped"),
    M("powerlaw-stderr", "rmtcheck/randmat/powerlaw.py",
      "alpha_stderr=float((a - 1.0) / np.sqrt(m[k]))", "alpha_stderr=float((a - 1.0) / m[k])",
      "metric", "standard error of alpha (alpha - 1)/m instead of (alpha - 1)/sqrt(m)"),
    # ------------------------------------------------------------------ randmat/coherence_predictions.py
    M("coherence-floor-n", "rmtcheck/randmat/coherence_predictions.py",
      "return 1.0 + (n - 1) * np.sqrt(2.0 / (np.pi * d))", "return 1.0 + n * np.sqrt(2.0 / (np.pi * d))",
      "closed-form", "noise floor 1 + n sqrt(2/(pi d)) instead of 1 + (n - 1) sqrt(2/(pi d))"),
    M("coherence-snr-projected-dim", "rmtcheck/randmat/coherence_predictions.py",
      'k = d - 1 if noise == "projected" else d', "k = d",
      "branch", "SNR prediction: projected noise keeps d dimensions instead of d - 1"),
    M("coherence-norm-bound", "rmtcheck/randmat/coherence_predictions.py",
      "return float(2 * np.sqrt(k * x) + 2 * x)", "return float(2 * np.sqrt(k * x) + x)",
      "bound", "Laurent-Massart norm bound 2 sqrt(kx) + x instead of 2 sqrt(kx) + 2x"),
    # ------------------------------------------------------------------ studies/ascent: closed forms and KLoM
    M("ascent-count-coefficient-sign", "rmtcheck/studies/ascent/_block.py",
      "r / R - forget_weight * f / F", "r / R + forget_weight * f / F",
      "sign", "descent-ascent count coefficient c_DA = r/R + w f/F (ascent descended)"),
    M("ascent-oracle-margin", "rmtcheck/studies/ascent/_correlated.py",
      "y = 2 * eps / (1 + eps**2) * x", "y = eps / (1 + eps**2) * x",
      "closed-form", "oracle's second margin y = eps x/(1 + eps^2) instead of 2 eps x/(1 + eps^2)"),
    M("klom-direction", "rmtcheck/studies/ascent/_metrics.py",
      "p * np.log(np.where(p > 0, p, 1.0) / qf)", "p * np.log(qf / np.where(p > 0, p, 1.0))",
      "metric", "KLoM per point: log(q/p) instead of log(p/q) (sign of the divergence)"),
    M("klom-bin-width", "rmtcheck/studies/ascent/_metrics.py",
      "width = np.where(hi > lo, (hi - lo) / bins, 1.0)", "width = np.where(hi > lo, (hi - lo) / (bins - 1), 1.0)",
      "metric", "KLoM histogram bin width (hi - lo)/(bins - 1): bins shifted, the last one holds only the maximum"),
    # ------------------------------------------------------------------ studies: constructions
    M("dexter-construction-sqrt", "rmtcheck/studies/dexter/constructions.py",
      "G[:sigma, 0] = np.sqrt(n * lam / sigma)", "G[:sigma, 0] = n * lam / sigma",
      "construction", "Theorem 2 construction: factor m instead of sqrt(m), so H_i = m^2 e1 e1^T"),
    M("chang-khanna-tightness-sigma", "rmtcheck/studies/chang_khanna/constructions.py",
      "Gf[:sigma_f] = np.sqrt(n_f * lam_f / sigma_f) * u", "Gf[:sigma_f] = np.sqrt(n_f * lam_f / sigma_r) * u",
      "construction", "tightness construction: forget scale uses sigma_r instead of sigma_f"),
    M("chang-khanna-least-squares-residual", "rmtcheck/studies/chang_khanna/constructions.py",
      "r = r0 - Q @ (Q.T @ r0)", "r = r0",
      "construction", "least-squares instance: residuals not projected off the column space (not an optimum)"),
    # ------------------------------------------------------------------ proofs/: SymPy derivations
    M("proof-theorem1-k", "proofs/dexter_theorem1.py",
      "k = n / B - 1", "k = n / B",
      "proof", "Theorem 1 derivation with k = n/B instead of n/B - 1"),
    M("proof-sandwich-ratio", "proofs/dexter_sandwich.py",
      "ratio_nB = ratio.subs(k, n / B - 1)", "ratio_nB = ratio.subs(k, n / B)",
      "proof", "sandwich ratio returned with k = n/B instead of n/B - 1 (after the certificate checks)"),
    M("proof-gd-critical-lr", "proofs/dexter_gd_criterion.py",
      'return {"critical_lr": 2 / lam}', 'return {"critical_lr": 1 / lam}',
      "proof", "full-batch GD critical learning rate 1/lambda instead of 2/lambda"),
    M("proof-ascent-lambdify-order", "proofs/ascent_block.py",
      "args = (R, F, Rj, alpha)", "args = (F, R, Rj, alpha)",
      "proof", "block coefficients lambdified with |R| and |F| swapped"),
]
del M

#: Test folders that exercise each part of the package (besides test files that name the module).
FOLDER_TESTS = {
    "rmtcheck/stability/": ("tests/stability",),
    "rmtcheck/randmat/": ("tests/randmat", "tests/studies/rmt", "tests/studies/spectral"),
    "rmtcheck/studies/ascent/": ("tests/studies/ascent",),
    "rmtcheck/studies/chang_khanna/": ("tests/studies/chang_khanna", "tests/stability/test_unlearning_operators.py"),
    "rmtcheck/studies/dexter/": ("tests/studies/dexter",),
    "proofs/": ("tests/proofs",),
}


# ============================================================================ checkouts
def _git(*args, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, text=True, capture_output=True).stdout


def _commit_of(path: Path) -> str:
    return _git("rev-parse", "HEAD", cwd=path).strip()


_SITECUSTOMIZE = '''"""Written by tools/mutation.py: import rmtcheck and rmtcheck.proofs from $RMTCHECK_MUTATION_ROOT."""
import os
import sys
from importlib.util import spec_from_file_location

_ROOT = os.environ.get("RMTCHECK_MUTATION_ROOT")
_WHERE = {"rmtcheck": "rmtcheck", "rmtcheck.proofs": "proofs"}  # pyproject's package-dir


class _MutationFinder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if not _ROOT or fullname not in _WHERE:
            return None
        folder = os.path.join(_ROOT, _WHERE[fullname])
        return spec_from_file_location(fullname, os.path.join(folder, "__init__.py"),
                                       submodule_search_locations=[folder])

    @classmethod
    def invalidate_caches(cls):
        pass


if _ROOT:
    sys.meta_path.insert(0, _MutationFinder)
'''


class Workspace:
    """The scratch folder: checkouts, the import shim, bytecode, temporary files."""

    def __init__(self, keep: bool):
        self.dir = Path(tempfile.mkdtemp(prefix="rmtcheck-mutation-"))
        self.keep = keep
        self.shim = self.dir / "shim"
        self.shim.mkdir()
        (self.shim / "sitecustomize.py").write_text(_SITECUSTOMIZE)

    def close(self):
        if self.keep:
            print(f"scratch kept in {self.dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Checkout:
    """One working copy the mutants are applied to, with its own bytecode and temporary folders."""

    def __init__(self, path: Path, ws: Workspace, name: str, threads: int | None):
        self.path, self.name = path, name
        self.pyc = ws.dir / "pyc" / name
        self.tmp = ws.dir / "tmp" / name
        for p in (self.pyc, self.tmp):
            p.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("HYPOTHESIS_PROFILE", "PYTHONSTARTUP")}
        env.update(CI="true", MPLBACKEND="Agg", PYTHONHASHSEED="0", RMTCHECK_MUTATION_ROOT=str(path),
                   PYTHONPYCACHEPREFIX=str(self.pyc), TMPDIR=str(self.tmp),
                   RMTCHECK_STORE=str(self.tmp / "rmtcheck-sweeps.sqlite"), NUMBA_CACHE_DIR=str(ws.dir / "numba" / name))
        env["PYTHONPATH"] = os.pathsep.join([str(path), str(ws.shim)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH")
                                                                          else []))
        if threads:
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
                env.setdefault(k, str(threads))
        self.env = env

    def drop_bytecode(self, rel: str):
        """Remove the cached bytecode of ``rel`` (so a same-size edit within one second cannot be missed)."""
        src = (self.path / rel).resolve()
        folder = self.pyc / src.parent.relative_to(src.anchor)
        for f in folder.glob(f"{src.stem}.*.pyc"):
            f.unlink()

    def check_imports(self):
        code = "import rmtcheck, rmtcheck.proofs; print(rmtcheck.__file__); print(rmtcheck.proofs.__file__)"
        out = subprocess.run([sys.executable, "-c", code], cwd=self.path, env=self.env, capture_output=True,
                             text=True)
        files = out.stdout.split()
        want = (self.path / "rmtcheck" / "__init__.py", self.path / "proofs" / "__init__.py")
        if out.returncode or [Path(f).resolve() for f in files] != [w.resolve() for w in want]:
            raise SystemExit(f"error: {self.path} does not import its own copy of rmtcheck (got {files or out.stderr!r})")


def make_checkouts(args, ws: Workspace) -> tuple[list[Checkout], dict]:
    threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else None
    if args.source:
        src = Path(args.source).resolve()
        if src == ROOT:
            raise SystemExit(f"error: --source {src} is the repository itself; the default (a clone) or "
                             "--with-worktree mutates a copy instead")
        if not (src / "rmtcheck").is_dir() or not (src / "proofs").is_dir():
            raise SystemExit(f"error: --source {src} is not a checkout of rmtcheck (no rmtcheck/ and proofs/)")
        if args.jobs > 1:
            print("note: --source mutates one checkout in place; running with --jobs 1", file=sys.stderr)
            args.jobs = 1
        dirty = bool(_git("status", "--porcelain", cwd=src).strip())
        info = {"source": str(src), "commit": _commit_of(src), "with_worktree": dirty, "in_place": True}
        return [Checkout(src, ws, "w0", None)], info
    first = ws.dir / "w0"
    _git("clone", "--quiet", str(ROOT), str(first), cwd=ws.dir)
    info = {"source": f"clone of {ROOT} at HEAD", "commit": _commit_of(first), "with_worktree": False,
            "in_place": False}
    if args.with_worktree:
        diff = subprocess.run(["git", "diff", "--binary", "HEAD"], cwd=ROOT, check=True, capture_output=True).stdout
        if diff:
            subprocess.run(["git", "apply", "--binary", "--whitespace=nowarn"], cwd=first, input=diff, check=True)
        untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                                   capture_output=True).stdout.decode().split("\0")
        h = hashlib.sha256(diff)
        for rel in sorted(u for u in untracked if u):
            dst = first / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dst)
            h.update(rel.encode() + b"\0" + (ROOT / rel).read_bytes())
        _git("add", "-A", cwd=first)
        if _git("status", "--porcelain", cwd=first).strip():
            _git("-c", "user.name=tools/mutation.py", "-c", "user.email=mutation@localhost", "commit", "--quiet",
                 "--no-verify", "-m", "uncommitted changes of the repository", cwd=first)
        info.update(source=f"clone of {ROOT} at HEAD plus its uncommitted changes", with_worktree=True,
                    worktree_sha256=h.hexdigest(), untracked=sorted(u for u in untracked if u))
    paths = [first]
    for j in range(1, args.jobs):
        p = ws.dir / f"w{j}"
        _git("clone", "--quiet", str(first), str(p), cwd=ws.dir)
        paths.append(p)
    return [Checkout(p, ws, p.name, threads) for p in paths], info


# ============================================================================ running
class Ran(NamedTuple):
    exit: int | None  # None: timed out
    output: str
    seconds: float


def run_cmd(argv, co: Checkout, timeout: float) -> Ran:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *argv], cwd=co.path, env=co.env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return Ran(proc.returncode, out, time.perf_counter() - t0)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the command's own process group (pytest or verify and its children)
        out, _ = proc.communicate()
        return Ran(None, out, time.perf_counter() - t0)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


_FAIL = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)
_TABLE_BAD = re.compile(r"^(\S+)\s{2}.*\s(VIOLATED|error)(?: \*)?\s*$", re.M)
_ERROR_LINE = re.compile(r"^ERROR \[([^\]]+)\]", re.M)
_SUMMARY = re.compile(r"VIOLATED: ([^\s,]+(?:, [^\s,]+)*)")  # ids have no spaces: the list ends at the next word


def verify_rows(output: str) -> list[str]:
    """Statement ids the ``rmtcheck verify`` table names as VIOLATED or error (table, ERROR lines, summary)."""
    rows = {m.group(1) for m in _TABLE_BAD.finditer(output)}
    rows |= {m.group(1) for m in _ERROR_LINE.finditer(output)}
    for m in _SUMMARY.finditer(output):
        rows |= {s.strip().rstrip(".") for s in m.group(1).split(",") if s.strip().rstrip(".")}
    return sorted(rows)


def targeted_tests(co: Checkout, rel: str) -> list[str]:
    """Tests that exercise ``rel``: its folder's tests, test files naming its module, its own doctests."""
    picked = set()
    for prefix, paths in FOLDER_TESTS.items():
        if rel.startswith(prefix):
            picked.update(p for p in paths if (co.path / p).exists())
    mod = rel[:-3].replace("/", ".")
    names = [mod if rel.startswith("rmtcheck/") else "rmtcheck." + mod]
    for f in sorted((co.path / "tests").rglob("test_*.py")):
        text = f.read_text(errors="replace")
        if any(n in text for n in names):
            picked.add(f.relative_to(co.path).as_posix())
    dirs = {p for p in picked if (co.path / p).is_dir()}
    picked = {p for p in picked if not any(p != d and p.startswith(d + "/") for d in dirs)}
    if rel.startswith("rmtcheck/"):
        picked.add(rel)  # collected with --doctest-modules
    return sorted(picked)


def run_tests(co: Checkout, rel: str | None, timeout: float, deselect=()) -> dict:
    """(a): the targeted tests, then the rest of the suite if they pass."""
    stages = []
    first = targeted_tests(co, rel) if rel else []
    if first:
        stages.append(("targeted", list(first)))
    stages.append(("full", [f"--ignore={p}" for p in first]))
    stages = [(stage, [*extra, *(f"--deselect={d}" for d in deselect)]) for stage, extra in stages]
    rec = {"outcome": "survived", "stage": None, "exit": 0, "failures": [], "seconds": 0.0, "targeted": first}
    for stage, extra in stages:
        ran = run_cmd([*PYTEST, *extra], co, timeout)
        rec["seconds"] += ran.seconds
        rec["stage"], rec["exit"] = stage, ran.exit
        if ran.exit is None:
            rec["outcome"] = "timeout"
            break
        if ran.exit in (0, 5):  # 5: nothing collected
            continue
        rec["failures"] = list(dict.fromkeys(_FAIL.findall(ran.output)))[:5]
        if ran.exit == 4:  # usage error: a problem of this script, not a kill
            rec["outcome"], rec["tail"] = "error", ran.output[-2000:]
        else:
            rec["outcome"] = "killed"
            if not rec["failures"]:
                rec["tail"] = ran.output[-1500:]
        break
    rec["seconds"] = round(rec["seconds"], 1)
    return rec


def run_verify(co: Checkout, timeout: float) -> dict:
    """(b): ``rmtcheck verify`` on its defaults."""
    ran = run_cmd(VERIFY, co, timeout)
    rows = verify_rows(ran.output)
    if ran.exit is None:
        outcome = "timeout"
    elif ran.exit == 0:
        outcome = "survived"
    else:
        outcome = "killed" if rows else "crashed"
    rec = {"outcome": outcome, "exit": ran.exit, "rows": rows, "seconds": round(ran.seconds, 1)}
    if outcome == "crashed":
        rec["tail"] = ran.output[-1500:]
    return rec


def apply_check(text: str, m: Mutant) -> tuple[str, int, str | None]:
    """The mutated text, the number of occurrences of the original, and a compile error (if any)."""
    n = text.count(m.original)
    if n != 1:
        return text, n, None
    new = text.replace(m.original, m.replacement, 1)
    try:
        compile(new, m.file, "exec")
    except SyntaxError as exc:
        return new, n, f"{exc.msg} (line {exc.lineno})"
    return new, n, None


def run_mutant(m: Mutant, co: Checkout, args) -> dict:
    t0 = time.perf_counter()
    rec = {"id": m.id, "file": m.file, "category": m.category, "description": m.description}
    path = co.path / m.file
    text = path.read_text() if path.exists() else ""
    new, count, err = apply_check(text, m)
    rec["occurrences"] = count
    if count != 1 or err:
        rec.update(status="stale" if count != 1 else "invalid", killed_by_tests=None, killed_by_verify=None, rows=[],
                   seconds=0.0)
        if err:
            rec["compile_error"] = err
        return rec
    rec["status"] = "run"
    try:
        path.write_text(new)
        co.drop_bytecode(m.file)
        tests = run_tests(co, m.file, args.timeout, args.deselect) if not args.no_tests else {"outcome": "skipped"}
        verify = run_verify(co, args.timeout) if not args.no_verify else {"outcome": "skipped", "rows": []}
    finally:
        path.write_text(text)
        co.drop_bytecode(m.file)
    rec.update(killed_by_tests=None if tests["outcome"] == "skipped" else tests["outcome"] in ("killed", "timeout"),
               killed_by_verify=None if verify["outcome"] == "skipped" else verify["outcome"] in ("killed", "timeout"),
               rows=verify.get("rows", []), tests=tests, verify=verify,
               seconds=round(time.perf_counter() - t0, 1))
    return rec


def baseline(checkouts: list[Checkout], args) -> dict:
    """The unmutated suite and verify (side by side with two checkouts): both must pass, or no kill means anything."""
    jobs = {}
    if not args.no_tests:
        jobs["tests"] = lambda co: run_tests(co, None, args.timeout, args.deselect)
    if not args.no_verify:
        jobs["verify"] = lambda co: run_verify(co, args.timeout)
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(jobs), len(checkouts)) or 1) as ex:
        futures = {k: ex.submit(fn, checkouts[i % len(checkouts)]) for i, (k, fn) in enumerate(jobs.items())}
        return {k: f.result() for k, f in futures.items()}


# ============================================================================ report
def _mark(killed, outcome) -> str:
    if killed is None:
        return "-"
    return {"killed": "killed", "timeout": "TIMEOUT", "survived": "SURVIVED", "crashed": "crashed",
            "error": "ERROR"}.get(outcome, outcome)


def table(records: list[dict]) -> str:
    head = ("id", "category", "tests", "verify", "rows named / first failing test", "seconds")
    rows = []
    for r in records:
        if r["status"] != "run":
            rows.append((r["id"], r["category"], r["status"], r["status"], f"occurrences: {r['occurrences']}", "-"))
            continue
        t, v = r.get("tests", {}), r.get("verify", {})
        tt = _mark(r["killed_by_tests"], t.get("outcome")) + (f" ({t['stage']})" if t.get("stage") and
                                                               t.get("outcome") == "killed" else "")
        note = ", ".join(r["rows"][:3]) + (f" +{len(r['rows']) - 3}" if len(r["rows"]) > 3 else "")
        if not note and t.get("failures"):
            note = "test: " + t["failures"][0]
        rows.append((r["id"], r["category"], tt, _mark(r["killed_by_verify"], v.get("outcome")), note[:70],
                     f"{r['seconds']:.0f} ({t.get('seconds', 0):.0f}+{v.get('seconds', 0):.0f})"))
    w = [max(len(h), *(len(x[i]) for x in rows)) if rows else len(h) for i, h in enumerate(head)]
    fmt = lambda vals: "  ".join(str(v).ljust(w[i]) for i, v in enumerate(vals)).rstrip()  # noqa: E731
    return "\n".join([fmt(head), fmt(["-" * x for x in w])] + [fmt(x) for x in rows])


def totals(records: list[dict]) -> dict:
    ran = [r for r in records if r["status"] == "run"]
    out = {"mutants": len(records), "run": len(ran), "stale": sorted(r["id"] for r in records if r["status"] == "stale"),
           "invalid": sorted(r["id"] for r in records if r["status"] == "invalid")}
    for key in ("tests", "verify"):
        done = [r for r in ran if r[f"killed_by_{key}"] is not None]
        killed = [r for r in done if r[f"killed_by_{key}"]]
        out[f"run_{key}"] = len(done)
        out[f"killed_by_{key}"] = len(killed)
        out[f"timeouts_{key}"] = sum(r[key].get("outcome") == "timeout" for r in done)
        out[f"kill_rate_{key}"] = round(len(killed) / len(done), 4) if done else None
        out[f"survivors_{key}"] = [r["id"] for r in done if not r[f"killed_by_{key}"]]
    out["crashed_verify"] = [r["id"] for r in ran if r.get("verify", {}).get("outcome") == "crashed"]
    out["killed_by_either"] = sum(bool(r["killed_by_tests"] or r["killed_by_verify"]) for r in ran)
    out["seconds_per_mutant_mean"] = round(sum(r["seconds"] for r in ran) / len(ran), 1) if ran else None
    out["targets"] = TARGETS
    return out


# ============================================================================ main
def _select(only: str | None) -> list[Mutant]:
    if not only:
        return list(MUTANTS)
    want = [s.strip() for s in only.split(",") if s.strip()]
    known = {m.id for m in MUTANTS}
    unknown = [w for w in want if w not in known]
    if unknown:
        raise SystemExit(f"error: unknown mutant id(s) {', '.join(unknown)} (see --list)")
    return [m for m in MUTANTS if m.id in want]


def _read_source(args, rel: str) -> str | None:
    """``rel`` as the run would see it: HEAD, the working tree (--with-worktree) or --source."""
    if args.source:
        p = Path(args.source) / rel
        return p.read_text() if p.exists() else None
    if args.with_worktree:
        p = ROOT / rel
        return p.read_text() if p.exists() else None
    res = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=ROOT, capture_output=True, text=True)
    return res.stdout if res.returncode == 0 else None


def check_only(args, chosen: list[Mutant]) -> int:
    bad = 0
    ids = [m.id for m in MUTANTS]
    if len(set(ids)) != len(ids):
        print("duplicate mutant ids", file=sys.stderr)
        bad += 1
    for m in chosen:
        text = _read_source(args, m.file)
        problems = []
        if "\n" in m.original or "\n" in m.replacement:
            problems.append("not one line")
        if m.original == m.replacement:
            problems.append("replacement equals the original")
        if text is None:
            problems.append("no such file")
        else:
            _, n, err = apply_check(text, m)
            if n != 1:
                problems.append(f"stale: original occurs {n} times")
            if err:
                problems.append(f"does not compile: {err}")
        bad += bool(problems)
        print(f"{m.id:40s} {m.file:48s} {'; '.join(problems) or 'ok'}")
    print(f"\n{len(chosen)} mutants, {bad} with problems")
    return 1 if bad else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", metavar="ID,...", help="run only these mutants (comma-separated ids)")
    p.add_argument("--list", action="store_true", help="list the mutants and exit")
    p.add_argument("--check", action="store_true", help="check that every mutant applies and compiles; run nothing")
    p.add_argument("--jobs", type=int, default=1, help="mutants run at once, one checkout each (default 1)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per command (pytest stage or verify) before "
                   "it is killed and the mutant counted as killed by timeout (default 900)")
    p.add_argument("--source", metavar="DIR", help="mutate this checkout in place instead of a fresh clone of HEAD")
    p.add_argument("--with-worktree", action="store_true", help="copy the repository's uncommitted changes (and "
                   "untracked, not ignored files) into the clone")
    p.add_argument("--output", default=str(DEFAULT_OUTPUT), help="JSON score file ('-' for none; default %(default)s)")
    p.add_argument("--deselect", action="append", default=[], metavar="NODEID",
                   help="a test that fails without any mutant, left out of every pytest run (repeatable; recorded)")
    p.add_argument("--keep", action="store_true", help="keep the scratch folder")
    p.add_argument("--no-baseline", action="store_true", help="skip the unmutated baseline run")
    p.add_argument("--no-tests", action="store_true", help="skip (a), the test suite")
    p.add_argument("--no-verify", action="store_true", help="skip (b), rmtcheck verify")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be >= 1")
    if args.source and args.with_worktree:
        p.error("--source and --with-worktree exclude each other")
    chosen = _select(args.only)
    if args.list:
        for m in chosen:
            print(f"{m.id:40s} {m.category:12s} {m.file:48s} {m.description}")
        return 0
    if args.check:
        return check_only(args, chosen)

    ws = Workspace(args.keep)
    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.perf_counter()
    try:
        checkouts, info = make_checkouts(args, ws)
        for co in checkouts:
            co.check_imports()
        log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
        log(f"{len(chosen)} mutants on {info['source']} ({info['commit'][:12]}), {len(checkouts)} checkout(s) in {ws.dir}")
        base = None
        if not args.no_baseline:
            log("baseline (unmutated) ...")
            base = baseline(checkouts, args)
            bad = [k for k, v in base.items() if v["outcome"] != "survived"]
            log("baseline: " + ", ".join(f"{k} {v['outcome']} in {v['seconds']:.0f} s" for k, v in base.items()))
            if bad:
                for k in bad:
                    log(f"baseline {k} failed: {base[k].get('failures') or base[k].get('rows')}\n{base[k].get('tail', '')}")
                return 2
        pool: queue.Queue[Checkout] = queue.Queue()
        for co in checkouts:
            pool.put(co)
        lock = threading.Lock()
        done = [0]

        def work(m: Mutant) -> dict:
            co = pool.get()
            try:
                rec = run_mutant(m, co, args)
            finally:
                pool.put(co)
            with lock:
                done[0] += 1
                t, v = rec.get("tests", {}), rec.get("verify", {})
                log(f"[{done[0]}/{len(chosen)}] {m.id}: " + (rec["status"] if rec["status"] != "run" else
                    f"tests {t.get('outcome')} ({t.get('stage')}, {t.get('seconds', 0):.0f} s"
                    + (f"; {t['failures'][0]}" if t.get("failures") else "") + f"), verify {v.get('outcome')} "
                    f"({v.get('seconds', 0):.0f} s" + (f"; {', '.join(rec['rows'][:4])}" if rec["rows"] else "") + ")"))
            return rec

        with concurrent.futures.ThreadPoolExecutor(max_workers=len(checkouts)) as ex:
            records = list(ex.map(work, chosen))  # list order, whatever finishes first
    finally:
        ws.close()

    tot = totals(records)
    print(table(records))
    print()
    for key in ("tests", "verify"):
        rate = tot[f"kill_rate_{key}"]
        if rate is not None:
            print(f"killed by {key:6s}: {tot[f'killed_by_{key}']}/{tot[f'run_{key}']} = {100 * rate:.1f} % "
                  f"(target {100 * TARGETS[key]:.0f} %; {tot[f'timeouts_{key}']} by timeout)"
                  + (f"; survivors: {', '.join(tot[f'survivors_{key}'])}" if tot[f"survivors_{key}"] else ""))
    if tot["stale"] or tot["invalid"]:
        print(f"not run: stale {tot['stale']}, invalid {tot['invalid']}")
    print(f"{tot['run']} mutants run in {time.perf_counter() - t_start:.0f} s "
          f"(mean {tot['seconds_per_mutant_mean']} s per mutant, {len(checkouts)} at once)")
    if args.output != "-":
        doc = {"tool": "tools/mutation.py", "date": started.isoformat(timespec="seconds"), **info,
               "selection": "all" if not args.only else [m.id for m in chosen], "jobs": len(checkouts),
               "timeout_s": args.timeout, "python": platform.python_version(),
               "tests_command": "CI=true python " + " ".join(PYTEST), "deselected": args.deselect, "verify_command": "python " + " ".join(VERIFY),
               "baseline": base, "wall_seconds": round(time.perf_counter() - t_start, 1), "totals": tot,
               "mutants": records}
        Path(args.output).write_text(json.dumps(doc, indent=1) + "\n")
        print(f"wrote {args.output}")
    ok = all(tot[f"kill_rate_{k}"] is None or tot[f"kill_rate_{k}"] >= TARGETS[k] for k in TARGETS)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
