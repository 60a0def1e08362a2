"""The counterexample table of the paper: each row's first violation with its instance written as
mathematics (sizes, step sizes, exponents), never as a JSON dump; the full records stay in
``generated/verify-results.json``."""

from __future__ import annotations

import math
import re

from rmtcheck.paper.tex import _header, _tt, finite_math, tex_caption, tex_escape

__all__ = []

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda", "mu", "nu", "xi", "rho",
          "sigma", "tau", "phi", "omega"}
#: keys with a conventional symbol (others: a Greek name or one letter with a subscript, else the key as text)
_SYMBOLS = {"lam": r"\lambda", "lr": r"\eta", "snr": r"\mathrm{SNR}", "ms_growth": r"\rho(T)",
            "critical_lr": r"\eta^*", "lambda_max": r"\lambda_{\max}", "lam_max": r"\lambda_{\max}",
            "eps": r"\varepsilon", "epsilon": r"\varepsilon", "lyapunov": r"\hat\lambda_1"}
_MAX_ITEMS = 6


def _symbol(key: str) -> str | None:
    """Math for a parameter name (``lam_f`` -> ``\\lambda_{f}``, ``n_r`` -> ``n_{r}``, ``B`` -> ``B``); ``None`` when
    the name is not a symbol (it is then printed as words)."""
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    head, _, sub = key.partition("_")
    base = _SYMBOLS.get(head) or ("\\" + ("varepsilon" if head == "epsilon" else head) if head in _GREEK
                                  else (head if len(head) == 1 and head.isalpha() else None))
    if base is None or not re.fullmatch(r"[A-Za-z0-9]*", sub):
        return None
    if not sub:
        return base
    if "_" in base or "^" in base:  # a second subscript: the name as words
        return None
    return base + "_{" + (sub if len(sub) == 1 else "\\mathrm{" + sub + "}") + "}"


def _math_num(x, digits: int = 4) -> str | None:
    """A number as math source (``None`` for values that are not a number)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    if isinstance(x, int):
        return str(x)
    if not math.isfinite(x):
        return "\\infty" if x > 0 else ("-\\infty" if x < 0 else "\\mathrm{NaN}")
    return finite_math(x, digits)


def _value(v) -> tuple[str, bool] | None:
    """``(source, is_math)`` for a scalar, a short list of numbers or a short string; ``None`` to leave it out."""
    num = _math_num(v)
    if num is not None:
        return num, True
    if isinstance(v, bool):
        return ("yes" if v else "no"), False
    if isinstance(v, str):
        if re.fullmatch(r"-?\d+(\.\d*)?(e-?\d+)?", v):
            return _math_num(float(v) if ("." in v or "e" in v) else int(v)), True
        return (tex_escape(v), False) if len(v) <= 40 else None
    if isinstance(v, list) and 0 < len(v) <= 4 and all(_math_num(x) is not None for x in v):
        return "(" + ", ".join(_math_num(x) for x in v) + ")", True
    return None


def _assignments(d, flatten: bool = False, limit: int = _MAX_ITEMS) -> str:
    """``$B = 39$, $\\lambda = 9.177$, ...`` for the scalar entries of ``d`` (names that are not symbols as words,
    so that the cell can break), with ``flatten`` one level of nested dicts too (an instance's family); says how
    many entries (arrays, long lists, tables, long text) are left to the JSON file."""
    if not isinstance(d, dict) or not d:
        return "--"
    flat, left = [], 0
    for k, v in sorted(d.items()):
        if isinstance(v, dict) and flatten:
            flat += [(k2, v2) for k2, v2 in sorted(v.items()) if k2 not in d]
        else:
            flat.append((k, v))
    items, seen = [], set()
    for k, v in flat:
        val = _value(v)
        if val is None or k in seen:
            left += k not in seen
            continue
        seen.add(k)
        sym = _symbol(k)
        src, is_math = val
        if sym is not None and is_math:
            items.append(f"${sym} = {src}$")
        else:
            name = f"${sym}$" if sym is not None else tex_escape(k.replace("_", " "))
            items.append(f"{name} " + (f"$= {src}$" if is_math else f"$=$ {src}"))
    left += max(0, len(items) - limit)
    out = ", ".join(items[:limit])
    if left:
        out += ("; " if out else "") + f"{left} more in the JSON"
    return out or "--"


def _counterexamples(records, source) -> str:
    """A longtable of the first violation of every row that has one (label ``tab:counterexamples``)."""
    lines = [_header("First counterexample of every statement with a violation", source)]
    bad = [r for r in records if r["violations"] and r.get("first_violation")]
    if not bad:  # still a captioned, labelled table: main.tex may refer to it
        lines += ["\\begin{longtable}{@{}l@{}}",
                  "\\caption{No statement produced a counterexample in this run.}\\label{tab:counterexamples}\\\\",
                  "\\end{longtable}"]
        return "\n".join(lines) + "\n"
    col = ">{\\raggedright\\arraybackslash}p"
    lines += ["{\\footnotesize\\setlength{\\tabcolsep}{3pt}",
              f"\\begin{{longtable}}{{@{{}}{col}{{0.19\\linewidth}}{col}{{0.24\\linewidth}}{col}{{0.25\\linewidth}}"
              f"{col}{{0.27\\linewidth}}@{{}}}}",
              "\\caption{The first counterexample of every statement with a violation: the instance (drawn from "
              "the row's seeded generator), what the exact or simulated check found there, and what it refutes. "
              "A row is reproduced by \\texttt{rmtcheck verify -{}-only ID -{}-seed \\rmtSeed}; the complete "
              "records, arrays included, are in \\texttt{paper/\\allowbreak{}generated/\\allowbreak{}"
              "verify-results.\\allowbreak{}json}.}\\label{tab:counterexamples}\\\\",
              "\\toprule", "Statement & Instance & Found & Refutes \\\\", "\\midrule", "\\endfirsthead",
              "\\toprule", "Statement & Instance & Found & Refutes \\\\", "\\midrule", "\\endhead",
              "\\bottomrule", "\\endfoot"]
    for r in bad:
        fv = r["first_violation"]
        kind = "\\textcolor{rmtbad}{\\textbf{VIOLATED}}" if r["claimed"] else "probe"
        refs = r.get("refs") or []
        cite = f" \\citep{{{','.join(refs)}}}" if refs else ""
        stmt = f"{_tt(r['id'])}\\newline {{\\scriptsize {kind}, instance {fv.get('index')}{cite}}}"
        # identifiers in the prose (row ids) may break after an underscore in this narrow column
        refutes = tex_caption(r.get("refutes")).replace("\\_", "\\_\\allowbreak{}") if r.get("refutes") else "--"
        lines.append(f"{stmt} & {_assignments(fv.get('instance'), flatten=True)} & {_assignments(fv.get('detail'))} & "
                     f"{refutes} \\\\[2pt]")
    lines.append("\\end{longtable}}")
    return "\n".join(lines) + "\n"
