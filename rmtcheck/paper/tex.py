"""TeX and Markdown formatting of names, numbers and verdicts (deterministic)."""

from __future__ import annotations

import math

__all__ = [
    "tex_escape", "tex_caption",
]


_UNICODE = {
    "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "δ": r"$\delta$", "ε": r"$\varepsilon$",
    "η": r"$\eta$", "θ": r"$\theta$", "λ": r"$\lambda$", "μ": r"$\mu$", "ν": r"$\nu$", "ξ": r"$\xi$",
    "ρ": r"$\rho$", "σ": r"$\sigma$", "τ": r"$\tau$", "φ": r"$\phi$", "ω": r"$\omega$", "Σ": r"$\Sigma$",
    "≤": r"$\le$", "≥": r"$\ge$", "≈": r"$\approx$", "≠": r"$\ne$", "→": r"$\to$", "←": r"$\leftarrow$",
    "⇒": r"$\Rightarrow$", "×": r"$\times$", "·": r"$\cdot$", "−": "-", "–": "--", "—": "---", "‖": r"$\|$",
    "∞": r"$\infty$", "√": r"$\surd$", "±": r"$\pm$", "∈": r"$\in$", "⊥": r"$\perp$", "⪰": r"$\succeq$",
    "⊗": r"$\otimes$", "²": r"$^2$", "³": r"$^3$", "ᵀ": r"$^\top$", "’": "'", "‘": "`", "“": "``", "”": "''",
    "…": r"\dots{}", "é": r"\'e", "ö": r'\"o', "ü": r'\"u',
}


_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(s) -> str:
    """Text safe for LaTeX (pdflatex + T1): specials escaped, common Unicode mapped, others replaced.

    Parameters
    ----------
    s : object
        The text (converted with ``str``; ``None`` gives the empty string).

    Returns
    -------
    str
        ASCII LaTeX source: TeX specials escaped, known Unicode characters mapped to LaTeX
        (e.g. ``α`` to ``$\\alpha$``), any other non-ASCII character replaced by ``?``.
    """
    out = []
    for ch in "" if s is None else str(s):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _math_char(ch: str) -> str:
    """One character inside inline math: Unicode mapped to a math command, TeX comment/parameter chars escaped."""
    if ch in "%#":
        return "\\" + ch
    if ch in _UNICODE:
        v = _UNICODE[ch]
        if v.startswith("$") and v.endswith("$") and len(v) > 2:
            return "{" + v[1:-1] + "}"
        if v == r"\dots{}":
            return r"\dots "
        return {"--": "-", "---": "-"}.get(v, v) if not v.startswith("\\") else "?"
    return ch if ord(ch) < 128 else "?"


def tex_caption(s) -> str:
    """Prose with inline ``$...$`` mathematics for LaTeX: the mathematics verbatim, the rest escaped.

    Outside mathematics the text goes through :func:`tex_escape` (``%``, ``_``, ``&``, ``#`` ... escaped,
    Unicode Greek mapped to ``$\\alpha$`` and the like); ``\\$`` there is a literal dollar sign. A ``$``
    opens inline mathematics that the next unescaped ``$`` closes (``$$`` delimits display mathematics,
    kept as inline); inside it the source is passed through, except that ``%`` and ``#`` are escaped and
    Unicode characters are mapped to math commands (``α`` to ``{\\alpha}``). A ``$`` without a partner is
    printed as a dollar sign, so the result always has balanced mathematics.

    Parameters
    ----------
    s : object
        The text (converted with ``str``; ``None`` gives the empty string).

    Returns
    -------
    str
        ASCII LaTeX source in text mode.

    Examples
    --------
    >>> print(tex_caption("growth $\\\\rho(T)$ at 5% of η_0"))
    growth $\\rho(T)$ at 5\\% of $\\eta$\\_0
    """
    s = "" if s is None else str(s)
    out, text, i, n = [], [], 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\" and i + 1 < n and s[i + 1] == "$":
            text.append("$")
            i += 2
            continue
        if ch != "$":
            text.append(ch)
            i += 1
            continue
        delim = "$$" if s.startswith("$$", i) else "$"
        j, body = i + len(delim), []
        while j < n and not s.startswith(delim, j):
            if s[j] == "\\" and j + 1 < n:
                body.append(s[j:j + 2])
                j += 2
            else:
                body.append(_math_char(s[j]))
                j += 1
        if j >= n or not "".join(body).strip():  # unmatched or empty: a literal dollar sign
            text.append(s[i:i + len(delim)])
            i += len(delim)
            continue
        out.append(tex_escape("".join(text)))
        text = []
        out.append("$" + "".join(body) + "$")
        i = j + len(delim)
    out.append(tex_escape("".join(text)))
    return "".join(out)


def _tt(s, breaks: bool = True) -> str:
    """``\\texttt`` without ``--`` ligatures; with ``breaks``, break points after dots, underscores and
    slashes (for ids and paths; not for numbers)."""
    e = tex_escape(s).replace("--", "-{}-")
    if breaks:
        e = e.replace(".", ".\\allowbreak{}").replace("\\_", "\\_\\allowbreak{}").replace("/", "/\\allowbreak{}")
    return "\\texttt{" + e + "}"


def _num(x, digits: int = 3) -> str:
    """A number for LaTeX text: ``--`` for none, plain for moderate magnitudes, ``$a\\times10^{b}$`` else."""
    if x is None:
        return "--"
    if isinstance(x, str):
        return {"inf": "$\\infty$", "-inf": "$-\\infty$"}.get(x, tex_escape(x))
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if not math.isfinite(x):
        return "--" if math.isnan(x) else ("$\\infty$" if x > 0 else "$-\\infty$")
    s = finite_math(x, digits)
    return s if "\\times" not in s else f"${s}$"


def finite_math(x: float, digits: int) -> str:
    """A finite number as math source: ``digits`` significant digits, plain for magnitudes in [1e-3, 1e5) (and 0),
    else ``a\\times 10^{b}`` with trailing zeros of ``a`` dropped."""
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        s = f"{x:.{digits}g}"
        if "e" not in s:
            return s
    m, e = f"{x:.{digits - 1}e}".split("e")
    return f"{m.rstrip('0').rstrip('.')}\\times 10^{{{int(e)}}}"


def _md_num(x, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    return f"{float(x):.{digits}g}"


def _header(what: str, source: str) -> str:
    return (f"% {what}\n% Generated by `rmtcheck paper` (rmtcheck.paper) from {source}. Do not edit: "
            "regenerate with `rmtcheck paper --fragments-only`.\n")


def _csdef(prefix: str, key: str, field: str, value: str) -> str:
    return f"\\expandafter\\def\\csname rmt/{prefix}/{key}/{field}\\endcsname{{{value}}}"


def _verdict_tex(rec) -> str:
    v = rec["verdict"]
    if v == "VIOLATED":
        return "\\textcolor{rmtbad}{\\textbf{VIOLATED}}"
    if v == "holds":
        return "\\textcolor{rmtgood}{holds}"
    if v == "fails (as expected)":
        return "\\textcolor{rmtprobe}{fails (as expected)}"
    return tex_escape(v)


def _tightness_tex(rec) -> str:
    if rec.get("tightness_median") is None:
        return "--"
    return (f"{_num(rec['tightness_median'])} "
            f"\\newline{{\\scriptsize[{_num(rec['tightness_min'])}, {_num(rec['tightness_max'])}]}}")
