"""Every statement carries a LaTeX rendering (``Statement.latex``) that compiles and holds no ASCII pseudo-maths,
and every statement's source is one a reader can obtain (a bibliography entry or a file of this repository)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rmtcheck.verify import Outcome, Statement, registry, run_statement

ROOT = Path(__file__).resolve().parents[2]

#: ASCII pseudo-maths that must not appear in running text (outside ``$...$``); each with why.
_TEXT_BAD = [
    (r"[<>!=]=|<-|->|=>|<=>", "an ASCII relation or arrow"),
    (r"\|\|", "an ASCII norm"),
    (r"(?<!\\)[_^]", "a sub- or superscript outside math"),
    (r"[A-Za-z]\*", "a starred name such as eta*"),
    (r"(?<![\\A-Za-z])(eta|sigma|lambda|lam|rho|alpha|mu|nu|xi|delta|theta|eps|epsilon|kappa|pi|Sigma|Dbar|"
     r"lambda_max|lam_max|sqrt|log|exp|tr|Tr|inf|infinity)(?![A-Za-z])", "a mathematical name written as a word"),
    (r"\b(rho|lambda|sigma|sqrt|log|exp|max|min|Tr|tr|E|P)\(", "a function call written in ASCII"),
    (r"(?<![\\$])\b[a-zA-Z]\b(?=\s*[<>=])", "a variable outside math"),
    (r"(?<!\\)[<>]", "a bare < or > outside math (prints as an inverted punctuation mark)"),
]
#: ASCII pseudo-maths that must not appear inside ``$...$`` either.
_MATH_BAD = [
    (r"[<>!=]=|->|=>", "an ASCII relation or arrow (use \\le, \\ge, \\ne, \\to)"),
    (r"\|\|", "an ASCII norm (use \\lVert ... \\rVert)"),
    (r"(?<![\\A-Za-z])(eta|sigma|lambda|lam|rho|alpha|mu|nu|xi|delta|theta|eps|kappa|sqrt|log|exp|max|min|"
     r"infty|infinity|Dbar)(?![A-Za-z])", "a name that should be a command (\\eta, \\sqrt, \\log, ...)"),
    (r"\*", "an asterisk (use \\cdot, \\star or a superscript)"),
    (r"[<>]\s*~|~", "an ASCII tilde"),
]


def _strip_code(s):
    """``s`` with ``\\texttt{...}``, ``\\text{...}``, ``\\mathrm{...}`` and ``\\operatorname{...}`` contents removed
    (code names and words inside math are not maths)."""
    return re.sub(r"\\(texttt|text|mathrm|operatorname|emph)\{(?:[^{}]|\{[^{}]*\})*\}", r"\\\1{}", s)


def lint(latex: str) -> list[str]:
    """Problems with one rendering: unbalanced ``$``, ASCII pseudo-maths outside or inside math."""
    problems = []
    s = latex.replace(r"\$", "")
    if "$$" in s or r"\[" in s or r"\(" in s:
        problems.append("display math or \\( \\): use inline $...$ only")
    parts = s.split("$")
    if len(parts) % 2 == 0:
        return ["unbalanced $"]
    for k, part in enumerate(parts):
        part = _strip_code(part)
        for pat, why in (_MATH_BAD if k % 2 else _TEXT_BAD):
            m = re.search(pat, part)
            if m:
                problems.append(f"{why}: {m.group(0)!r} in {'math' if k % 2 else 'text'} {part[:60]!r}")
    if re.search(r"(?<!\\)%", latex):
        problems.append("an unescaped % (starts a comment)")
    if latex.count("{") != latex.count("}"):
        problems.append("unbalanced braces")
    return problems


def test_lint_catches_pseudo_maths():
    good = r"If $r = (\eta\lambda_{\max}(H)/\sigma)^2 (n/B-1) \ge 1$, then $\rho(T) \ge 1$ (\texttt{noise\_floor})."
    assert lint(good) == []
    for bad in ("at 0.9 eta* the factor", "then rho(T) >= 1", "$\\rho(T) >= 1$", "sigma_p grows", "$x = 1",
                "$\\lVert x||$", "$eta < 1$", "when x > 1", "a 5% margin", "$\\sqrt(d)$ or sqrt(d)"):
        assert lint(bad), bad


def test_every_statement_has_a_clean_latex_rendering():
    reg = registry()
    assert len(reg) >= 120
    bad = {sid: lint(st.latex) if st.latex.strip() else ["empty"] for sid, st in reg.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"{len(bad)} renderings fail the lint: {bad}"


def test_latex_reaches_the_result_record():
    st = Statement(id="zz.latex", source="s", text="t", notion="mean-square", sampling="none", regime="r",
                   method="exact", sample=lambda rng: {}, check=lambda inst, rng: Outcome(False),
                   latex=r"$\rho(T) < 1$")
    assert run_statement(st, instances=1).to_dict()["latex"] == r"$\rho(T) < 1$"
    with pytest.raises(TypeError, match="latex must be"):
        Statement(id="zz.latex2", source="s", text="t", notion="mean-square", sampling="none", regime="r",
                  method="exact", sample=lambda rng: {}, check=lambda inst, rng: Outcome(False), latex=1)


def _compile(tmp_path, rows):
    """Typeset ``rows`` (id, latex) with pdflatex, each in a ragged-right column 2.9 in wide (the statement column
    of the paper's verify tables is 0.46 of a 6.5 in text width); return the error lines and the overfull boxes
    wider than 1 pt, each with its row id."""
    body = "\n\n".join(rf"\typeout{{ROW {sid}}}\noindent {latex}\par" for sid, latex in rows)
    doc = ("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{lmodern}\n"
           "\\usepackage{amsmath,amssymb}\n\\setlength{\\textwidth}{2.9in}\n\\begin{document}\\raggedright\n"
           + body + "\n\\end{document}\n")
    (tmp_path / "all.tex").write_text(doc, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    log = (tmp_path / "all.log").read_text(encoding="latin-1")
    errors = [ln for ln in log.splitlines() if ln.startswith("!") or "Missing character" in ln]
    if proc.returncode != 0 and not errors:
        errors = [proc.stdout[-2000:]]
    overfull, row = [], None
    for ln in log.splitlines():
        if ln.startswith("ROW "):
            row = ln[4:].strip()
        m = re.match(r"Overfull \\hbox \(([\d.]+)pt too wide\)", ln)
        if m and float(m.group(1)) > 1.0:
            overfull.append((row, float(m.group(1))))
    return errors, overfull


_NO_TEX = pytest.mark.skipif(shutil.which("pdflatex") is None,
                             reason="pdflatex is not installed (apt: texlive-latex-base texlive-latex-recommended lmodern)")


@_NO_TEX
def test_every_rendering_compiles_under_pdflatex_and_fits_the_table_column(tmp_path):
    rows = [(sid, st.latex) for sid, st in sorted(registry().items())]
    errors, overfull = _compile(tmp_path, rows)
    assert not errors, "\n".join(errors)
    assert not overfull, f"renderings too wide for a 2.9 in column (unbreakable maths or code): {overfull}"


@_NO_TEX
def test_the_compile_check_can_fail(tmp_path):
    errors, overfull = _compile(tmp_path, [("a", r"$\undefinedmacro x$"), ("b", r"$" + "x" * 200 + "$")])
    assert any("Undefined control sequence" in e for e in errors)
    errors, overfull = _compile(tmp_path, [("b", r"$" + "x" * 200 + "$")])
    assert not errors and [r for r, _ in overfull] == ["b"]


#: Words that name a document a reader cannot obtain (internal notes, briefs, guidelines).
_INTERNAL = re.compile(r"shared/|theory/|notes?\b|brief|guideline|internal|standard random-matrix facts|"
                       r"reviewers|\[reconstructed\]|\[derived\]", re.I)


#: ASCII formulas that a source (printed as plain text next to the rendering) must not hold.
_SOURCE_MATHS = re.compile(r"[<>]=|\^|\||≈|\s=\s|(?<![\w/])(eta|sigma|lambda|lam|alpha|rho|mu|nu|xi|delta|Dbar|chi|tr)"
                           r"(?![A-Za-z])")


def test_every_source_is_citable():
    bib = (ROOT / "paper" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,\s]+),", bib))
    for sid, st in registry().items():
        assert not _INTERNAL.search(st.source), (sid, st.source)
        assert not _SOURCE_MATHS.search(st.source), (sid, st.source)
        assert set(st.refs) <= keys, (sid, st.refs)
        for path in re.findall(r"\b((?:proofs|rmtcheck)/[\w/]+\.py)\b", st.source):
            assert (ROOT / path).is_file(), (sid, path)
        cited = bool(st.refs) and (re.search(r"\b(19|20)\d\d\b", st.source) or "derived here" in st.source
                                   or re.search(r"(proofs|rmtcheck)/[\w/]+\.py", st.source))
        assert cited, (sid, st.source)
