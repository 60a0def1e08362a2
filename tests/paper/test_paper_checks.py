"""The paper's checks can fail: captions keep their mathematics and escape the rest, the LaTeX log check
finds errors, undefined references and citations and overfull boxes above 1 pt in real pdflatex runs,
the figure check refuses a figure outside the print rules, counterexamples are written as mathematics,
and the README gallery shows figures at the paper's scale."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from rmtcheck import paper as P
from rmtcheck.paper._counterexamples import _assignments, _counterexamples
from rmtcheck.paper.readme import _first_sentence, _gallery_px

HAVE_TEX = shutil.which("pdflatex") is not None
needs_tex = pytest.mark.skipif(not HAVE_TEX, reason="pdflatex not installed (the README's TeX packages)")


def _pdflatex(tmp_path: Path, body: str, preamble: str = "", runs: int = 2) -> Path:
    """Compile a tiny document twice (so references settle) and return its log."""
    tex = tmp_path / "t.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{amsmath,amssymb,array,longtable,"
                   "booktabs,xcolor}\n\\definecolor{rmtbad}{HTML}{D55E00}\n\\providecommand{\\citep}[1]{\\cite{#1}}\n"
                   + preamble + "\\begin{document}\n" + body + "\n\\end{document}\n", encoding="utf-8")
    env = dict(os.environ, max_print_line="100000")
    for _ in range(runs):
        subprocess.run(["pdflatex", "-interaction=nonstopmode", "-file-line-error", "t.tex"], cwd=tmp_path, env=env,
                       capture_output=True, timeout=120)
    return tmp_path / "t.log"


# ------------------------------------------------------------------------------------------ captions
@pytest.mark.parametrize("src, want", [
    ("growth $\\rho(T) \\ge 1$ at 5% of runs", "growth $\\rho(T) \\ge 1$ at 5\\% of runs"),
    ("costs \\$5 and $x_1$", "costs \\$5 and $x_1$"),  # escaped dollar outside, subscript kept inside
    ("a $ b", "a \\$ b"),  # an unpaired dollar is a dollar sign
    ("a $$ b", "a \\$\\$ b"),  # an empty pair too
    ("$a\\$b$ & c_d # e", "$a\\$b$ \\& c\\_d \\# e"),  # \$ inside mathematics does not close it
    ("η = 0.1 and σ²", "$\\eta$ = 0.1 and $\\sigma$$^2$"),  # Unicode Greek outside mathematics
    ("$η_0 ≤ 1$", "${\\eta}_0 {\\le} 1$"),  # ... and inside, without nested dollars
    ("$50%$ of {B}", "$50\\%$ of \\{B\\}"),  # a comment character inside mathematics is escaped
    ("$$x^2$$ display", "$x^2$ display"),
    ("", ""),
])
def test_caption_keeps_math_and_escapes_text(src, want):
    assert P.tex_caption(src) == want


@needs_tex
def test_captions_compile_without_errors(tmp_path):
    srcs = ["growth $\\rho(T) \\ge 1$ at 5% of runs", "costs \\$5 and $x_1$ {a} ~ ^", "a $ b", "$a\\$b$ & c_d # e",
            "η = 0.1 and σ² — α–β “q” …", "$η_0 ≤ 1 … σ$", "$50%$ of runs"]
    log = _pdflatex(tmp_path, "\n\n".join(P.tex_caption(s) for s in srcs), runs=1)
    assert P.check_log(log) == []
    text = subprocess.run(["pdftotext", "t.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout \
        if shutil.which("pdftotext") else "$5 5% % of runs"
    assert "$5" in text and "5%" in text and "% of runs" in text  # the escaped characters are printed


# ------------------------------------------------------------------------------------------ LaTeX log
@needs_tex
def test_log_check_is_clean_on_a_clean_document(tmp_path):
    log = _pdflatex(tmp_path, "\\section{A}\\label{sec:a} See Section~\\ref{sec:a}. \\hbox to 100pt{\\hskip 100pt}")
    assert P.check_log(log) == []


@needs_tex
def test_log_check_reports_overfull_boxes_above_one_point(tmp_path):
    # boxes 0.5 pt and 3 pt too wide, and an unbreakable word 6 in long in a 4.5 in text block
    log = _pdflatex(tmp_path, "\\hbox to 100pt{\\hskip 100.5pt}\n\n\\hbox to 100pt{\\hskip 103pt}\n\n"
                              "\\noindent\\rule{6in}{1pt}\n")
    problems = P.check_log(log)
    assert len(problems) == 2, problems
    assert "overfull \\hbox 3.0pt" in problems[0] and "t.tex" in problems[0]
    wide = float(problems[1].split("overfull \\hbox ")[1].split("pt")[0])
    assert wide == pytest.approx(6 * 72.27 - 345.0, abs=0.1)  # 6 in less article's 345 pt \textwidth
    assert P.check_log(log, tolerance_pt=5.0) == [problems[1]]
    assert len(P.check_log(log, tolerance_pt=0.1)) == 3


@needs_tex
def test_log_check_reports_undefined_references_and_citations(tmp_path):
    log = _pdflatex(tmp_path, "See~\\ref{fig:nowhere} and \\cite{nobody2024}; \\ref{fig:nowhere} again.")
    problems = P.check_log(log)
    assert any("undefined reference 'fig:nowhere'" in p for p in problems), problems
    assert any("undefined citation 'nobody2024'" in p for p in problems), problems
    assert len(problems) == 2  # each key once


@needs_tex
def test_log_check_reports_undefined_generated_keys(tmp_path):
    from rmtcheck.paper.fragments import _macros

    macros = _macros([], {}, {}, 0, "", {}, "test")
    (tmp_path / "macros.tex").write_text(macros)
    log = _pdflatex(tmp_path, "\\rmtstat{no.such}{verdict} and \\rmtgroup{dexter}{nothing}",
                    preamble="\\input{macros}\n", runs=1)
    problems = P.check_log(log)
    assert len(problems) == 2, problems
    assert "undefined generated key no.such/verdict" in problems[0] and "dexter/nothing" in problems[1]


@needs_tex
def test_log_check_reports_latex_errors(tmp_path):
    log = _pdflatex(tmp_path, "text \\undefinedmacro{} more", runs=1)
    problems = P.check_log(log)
    assert problems and "LaTeX error" in problems[0] and "Undefined control sequence" in problems[0]
    assert "t.tex:" in problems[0]


def test_log_check_names_the_file_and_ignores_parentheses_in_box_text(tmp_path):
    log = tmp_path / "main.log"
    log.write_text("This is pdfTeX\n(./main.tex (./generated/a.tex\n"
                   "Overfull \\hbox (12.0pt too wide) in paragraph at lines 3--4\n"
                   "\\T1/lmr/m/n/10 text (with a closing one) ) and more)\n\n"
                   ") (./generated/b.tex) [1]\n"
                   "Overfull \\vbox (2.5pt too high) has occurred while \\output is active\n\n"
                   "Overfull \\hbox (0.9pt too wide) in paragraph at lines 9--9\n\n)\n")
    problems = P.check_log(log)
    assert len(problems) == 2, problems
    assert "12.0pt in ./generated/a.tex" in problems[0]
    assert "overfull \\vbox 2.5pt in ./main.tex" in problems[1]
    assert P.check_log(tmp_path / "absent.log")[0].endswith("(build the PDF first: rmtcheck paper)")


# ------------------------------------------------------------------------------------------ figures
def _figure(path: Path, width: float, height: float, fontsize: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height))
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("step size", fontsize=fontsize)
    ax.tick_params(labelsize=fontsize)
    fig.savefig(path)
    plt.close(fig)


def test_figure_check_refuses_figures_outside_the_print_rules(tmp_path):
    paper, figs = tmp_path / "paper", tmp_path / "figures"
    paper.mkdir()
    figs.mkdir()
    _figure(figs / "good.pdf", 3.25, 2.0, 8)
    _figure(figs / "wide.pdf", 5.0, 2.0, 8)
    _figure(figs / "tiny.pdf", 6.5, 2.0, 5)
    (paper / "fig.tex").write_text("\\includegraphics{../figures/wide.pdf}\n% \\includegraphics{../figures/x.pdf}\n")
    (paper / "main.tex").write_text("\\includegraphics{../figures/good.pdf}\\input{fig}\n"
                                    "\\includegraphics[width=2in]{../figures/tiny}\n")
    assert [p.name for p in P.included_graphics(paper)] == ["good.pdf", "wide.pdf", "tiny.pdf"]
    problems = P.check_figures(paper)
    assert len(problems) == 2, problems
    assert problems[0].startswith("figures/wide.pdf: width 5.000 in")
    assert problems[1].startswith("figures/tiny.pdf: smallest font 5 pt")


# ------------------------------------------------------------------------------------------ counterexamples
def test_counterexample_instances_are_mathematics():
    inst = {"B": 39, "lam": 9.176751927551997, "lr": 0.5, "sigma_r": 4, "kind": "gaussian",
            "family": {"n": 35, "factors": [[1.0, 2.0]] * 6, "rank_one": True}, "alpha_strict": 3e-7}
    got = _assignments(inst, flatten=True)
    assert got == ("$B = 39$, $\\alpha_{\\mathrm{strict}} = 3\\times 10^{-7}$, $n = 35$, rank one $=$ yes, "
                   "kind $=$ gaussian, $\\lambda = 9.177$; 3 more in the JSON")
    assert _assignments({"lyapunov_stderr": 0.25, "ms_growth": 1.5}) == "lyapunov stderr $= 0.25$, $\\rho(T) = 1.5$"
    assert _assignments({}) == "--"


@pytest.fixture(scope="module")
def saved_records():
    path = Path(__file__).resolve().parents[2] / "paper" / "generated" / "verify-results.json"
    if not path.is_file():
        pytest.skip("paper/generated/verify-results.json not in this checkout")
    return P.complete_records(P.load_records(path))


def test_counterexample_table_has_no_json(saved_records):
    tex = _counterexamples(saved_records, "test")
    bad = [r for r in saved_records if r["violations"] and r.get("first_violation")]
    assert bad and tex.count("\\\\[2pt]") == len(bad)
    assert '{"' not in tex and '":' not in tex and "\\label{tab:counterexamples}" in tex


@needs_tex
def test_counterexample_table_without_counterexamples_still_has_its_label(saved_records, tmp_path):
    clean = [dict(r, violations=0, first_violation=None) for r in saved_records]
    tex = _counterexamples(clean, "test")
    assert "\\label{tab:counterexamples}" in tex and "No statement produced a counterexample" in tex
    (tmp_path / "cx.tex").write_text(tex, encoding="utf-8")
    log = _pdflatex(tmp_path, "Table~\\ref{tab:counterexamples}. \\input{cx}")
    assert P.check_log(log) == []


@needs_tex
def test_counterexample_table_compiles_without_overfull_boxes(saved_records, tmp_path):
    (tmp_path / "cx.tex").write_text(_counterexamples(saved_records, "test"), encoding="utf-8")
    log = _pdflatex(tmp_path, "\\input{cx}", preamble="\\usepackage[margin=1in]{geometry}\\def\\rmtSeed{0}\n")
    assert [p for p in P.check_log(log) if "undefined citation" not in p] == []  # no bibliography here


# ------------------------------------------------------------------------------------------ macros
def test_verdict_words_follow_the_verdict(tmp_path):
    base = {"source": "s", "text": "t", "tag": "paper", "notion": "mean-square", "sampling": "bernoulli",
            "regime": "r", "method": "exact", "instances": 2, "skipped": 0, "tightness_min": None,
            "tightness_median": None, "tightness_max": None, "first_violation": None, "threshold": None, "seed": 0}
    recs = [dict(base, id="dexter.theorem1", claimed=True, violations=0, verdict="holds"),
            dict(base, id="dexter.theorem2", claimed=True, violations=1, verdict="VIOLATED", fails_run=True),
            dict(base, id="dexter.theorem1.equality", claimed=False, violations=1, verdict="fails (as expected)"),
            dict(base, id="dexter.sandwich", claimed=False, violations=0, verdict="no counterexample found"),
            dict(base, id="dexter.certificate", claimed=True, violations=0, verdict="no instance in regime",
                 latex="an outdated rendering"),
            dict(base, id="zz.extra", claimed=True, violations=0, verdict="holds",
                 latex="If $r \\ge 1$, then $\\rho(T) \\ge 1$.")]
    (tmp_path / "figures").mkdir()
    P.build_fragments(recs, tmp_path / "paper", tmp_path / "figures", sweep_store=tmp_path / "none.sqlite")
    macros = (tmp_path / "paper" / "generated" / "macros.tex").read_text()
    want = {"dexter.theorem1": ("holds", "true"), "dexter.theorem2": ("fails", "false"),
            "dexter.theorem1.equality": ("fails", "false"), "dexter.sandwich": ("holds", "true"),
            "dexter.certificate": ("untested", "untested"), "dexter.gd_criterion": ("untested", "untested")}
    for sid, (word, truth) in want.items():
        assert f"\\csname rmt/s/{sid}/holds\\endcsname{{{word}}}" in macros
        assert f"\\csname rmt/s/{sid}/Holds\\endcsname{{{word.capitalize()}}}" in macros
        assert f"\\csname rmt/s/{sid}/truth\\endcsname{{{truth}}}" in macros
    assert "\\csname rmt/s/zz.extra/latex\\endcsname{If $r \\ge 1$, then $\\rho(T) \\ge 1$.}" in macros
    # a registered statement prints its current rendering, not the one saved with old results
    from rmtcheck.verify import registry

    assert f"\\csname rmt/s/dexter.certificate/latex\\endcsname{{{registry()['dexter.certificate'].latex}}}" in macros
    src = P.tex_escape(registry()["dexter.theorem1"].source)
    assert f"\\csname rmt/s/dexter.theorem1/source\\endcsname{{{src}}}" in macros  # not the saved "s"
    assert "\\newcommand{\\rmtFailsRun}{1}" in macros
    for field in P.STAT_FIELDS:  # every field is documented in the file's header
        assert field in macros.split("\\makeatletter")[0]


# ------------------------------------------------------------------------------------------ README gallery
def test_gallery_shows_figures_at_the_papers_scale(tmp_path):
    assert _gallery_px(3.25) == 400 and _gallery_px(6.5) == 800 and _gallery_px(13.0) == 800
    assert _gallery_px(None) == 400
    assert _first_sentence("Growth $a. b$ rises with the sample size n. Second sentence.") == \
        "Growth $a. b$ rises with the sample size n."
    assert _first_sentence("One sentence only") == "One sentence only"
    from rmtcheck.plotting.catalog import figures

    names = list(figures())
    figs = tmp_path / "figures"
    figs.mkdir()

    _stub_figure(figs, names[0], 6.5)
    _stub_figure(figs, names[1], 3.25)
    _stub_figure(figs, names[2], 3.25)
    g = P.readme_blocks([], figs, tmp_path)["gallery"]
    assert f'<img src="figures/{names[0]}.png" width="800"' in g
    full = next(line for line in g.splitlines() if names[0] in line and "<img" in line)
    assert not full.startswith("|")  # a full-width figure is not squeezed into a table cell
    pair = next(line for line in g.splitlines() if f"{names[1]}.png" in line)
    assert pair.startswith("|") and f'{names[2]}.png" width="400"' in pair  # two column figures side by side


def _stub_figure(figs, name, width_in):
    """A figure's PNG (any bytes: the gallery only links it) and a PDF whose page is ``width_in`` wide."""
    (figs / f"{name}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (figs / f"{name}.pdf").write_bytes(f"%PDF-1.4\n1 0 obj << /Type /Page /MediaBox [0 0 {width_in * 72:g} 216] >>\n"
                                       "endobj\n%%EOF\n".encode())


# ------------------------------------------------------------------------------------------ one verify run
def test_saved_results_read_the_ci_run_and_match_a_fresh_one(tmp_path, monkeypatch):
    from rmtcheck.cli import main

    ids = ["spectral.hill_vs_ww"]
    monkeypatch.delenv(P.VERIFY_JSON_ENV, raising=False)
    fresh = P.saved_results(ids)
    out = tmp_path / "verify.json"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["verify", "--only", ids[0], "--json", "-q"]) == 0
    out.write_text(buf.getvalue())
    monkeypatch.setenv(P.VERIFY_JSON_ENV, str(out))
    saved = P.saved_results(ids)
    assert [r.to_dict() for r in saved] == [r.to_dict() for r in fresh]
    data = json.loads(out.read_text())
    data[0]["violations"] = 7  # proves the file is what is read
    out.write_text(json.dumps(data))
    assert P.saved_results(ids)[0].violations == 7
    assert P.saved_results(ids, seed=1)[0].violations == 0  # another seed: not in the file, computed
    out.write_text("not json")
    with pytest.raises(ValueError, match=P.VERIFY_JSON_ENV):
        P.saved_results(ids)


def test_caption_check_finds_backslashes_lost_to_escapes():
    def fine():
        r"""Growth $\rho(T)$ against $\tau$."""

    def broken():
        pass

    broken.__doc__ = "Growth $\rho(T)$ against $\tau$ and $\beta$."  # what a non-raw docstring holds
    assert P.check_captions({"fine": fine}) == []
    (problem,) = P.check_captions({"fine": fine, "broken": broken})
    assert problem.startswith("figure broken: its docstring holds \\b, \\r, \\t")
    assert P.check_captions() == []  # every registered figure


def test_ci_installs_the_packages_the_hint_names():
    from rmtcheck.paper.build import TEX_PACKAGES

    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    line = next(ln for ln in ci.splitlines() if ln.startswith("TEX_PACKAGES="))
    assert line.split("=", 1)[1].strip('"').split() == list(TEX_PACKAGES)


def test_check_refuses_a_log_older_than_the_sources(tmp_path, capsys):
    from rmtcheck.cli import main

    paper = tmp_path / "paper"
    (paper / "generated").mkdir(parents=True)
    (paper / "main.tex").write_text("\\documentclass{article}\\begin{document}x\\end{document}\n")
    (paper / "generated" / "macros.tex").write_text("% none\n")
    log = paper / "main.log"
    log.write_text("This is pdfTeX\n(./main.tex)\n")
    os.utime(paper / "main.tex", (1000, 1000))
    os.utime(paper / "generated" / "macros.tex", (1000, 1000))
    os.utime(log, (2000, 2000))
    assert main(["paper", "--check", "--paper-dir", str(paper)]) == 0
    assert capsys.readouterr().out.strip().endswith("the LaTeX log is clean")
    os.utime(paper / "generated" / "macros.tex", (3000, 3000))
    assert main(["paper", "--check", "--paper-dir", str(paper)]) == 1
    out = capsys.readouterr().out
    assert "main.log: older than generated/macros.tex: rebuild the PDF" in out


def test_gallery_sets_a_lone_column_figure_without_a_table(tmp_path):
    from rmtcheck.plotting.catalog import figures

    names = list(figures())
    figs = tmp_path / "figures"
    figs.mkdir()
    for name, width_in in ((names[0], 6.5), (names[1], 3.25), (names[2], 6.5)):
        _stub_figure(figs, name, width_in)
    g = P.readme_blocks([], figs, tmp_path)["gallery"]
    assert "|---|---|" not in g
    line = next(ln for ln in g.splitlines() if f"{names[1]}.png" in ln)
    assert line == f'<img src="figures/{names[1]}.png" width="400" alt="{names[1]}">'


def test_column_figure_has_its_caption_beside_it(tmp_path):
    from rmtcheck.paper._figures import _figure_env, _pdf_width_in

    _figure(tmp_path / "col.pdf", 3.25, 2.0, 8)
    _figure(tmp_path / "full.pdf", 6.5, 2.0, 8)
    assert _pdf_width_in(tmp_path / "col.pdf") == pytest.approx(3.25, abs=1e-3)
    assert _pdf_width_in(tmp_path / "absent.pdf") is None
    info = {"exists": True, "description": "Growth $\\rho$ of 5% of runs, long " + "words " * 80, "entry": None,
            "command": "rmtcheck figures --only col --seed 0"}
    col = _figure_env("col", dict(info, pdf_width_in=3.25), "col.pdf", "test")
    full = _figure_env("full", dict(info, pdf_width_in=6.5), "full.pdf", "test")
    assert "\\begin{minipage}[c]{3.25in}" in col and "\\protect\\raggedright" in col
    assert "minipage" not in full and "\\centering" in full
    for env in (col, full):
        assert "\\includegraphics{" in env and "width=" not in env.split("minipage}[c]{3.25in}")[-1]
    if HAVE_TEX:
        log = _pdflatex(tmp_path, col + "\n" + full + "\nSee Figure~\\ref{fig:col}.",
                        preamble="\\usepackage[letterpaper,margin=1in]{geometry}\\usepackage{graphicx}\n")
        assert P.check_log(log) == []
