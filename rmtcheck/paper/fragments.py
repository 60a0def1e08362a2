"""Generated fragments of the verification paper (``paper/``) and the README's generated blocks.

Single source of truth: every number in ``paper/main.tex`` and in the README's tables comes from one
``rmtcheck verify`` run (or its saved ``--json`` output), the figure manifest and the sweep store,
written by this module into ``paper/generated/``; nothing there is edited by hand. The fragments are
deterministic (no dates, no durations): the same results give the same bytes.

Fragments (all under ``paper/generated/``):

``macros.tex``
    ``\\newcommand`` for every number the text quotes: counts (``\\rmtNStatements``, ``\\rmtNClaimed``,
    ``\\rmtNHolds`` ...), versions, the seed, and per statement ``\\rmtstat{ID}{FIELD}`` (fields
    ``verdict``, ``instances``, ``violations``, ``skipped``, ``tightness``, ``tightnessmin``,
    ``tightnessmax``, ``method``, ``notion``, ``sampling``, ``tag``, ``claimed``, ``source``, ``text``,
    ``latex``, ``cite``, ``holds``, ``Holds``, ``truth``; every macro is listed in the file's header)
    and per group ``\\rmtgroup{GROUP}{FIELD}`` (``statements``, ``claimed``, ``holds``, ``violated``,
    ``probes``, ``counterexamples``, ``instances``). An unknown key typesets **??** and warns.
``verify-summary.tex``, ``verify-table-GROUP.tex``, ``verify-counterexamples.tex``
    The verdict tables (per group: statement in its LaTeX rendering with its citations,
    notion/sampling/method, instances, violations, tightness, verdict) and a table of the first
    counterexample of every row with a violation, its instance written as mathematics.
``figure-NAME.tex`` (one per registered figure), ``figures-other.tex``, ``figures-table.tex``
    A ``figure`` environment including ``figures/NAME.pdf`` at scale 1 (a boxed placeholder naming the command
    when the figure has not been generated yet), figures that ``main.tex`` does not place itself
    (so newly registered figures appear automatically), and the provenance table from the manifest.
``sweeps.tex``
    A summary of the sweep store (``rmtcheck.sweep``) when one is found, otherwise only comments
    (``\\ifrmtHaveSweeps`` in ``macros.tex`` lets ``main.tex`` leave the section out).
``verify-results.json``
    The verify records the fragments were made from (without timings); ``rmtcheck paper
    --from-json paper/generated/verify-results.json`` rebuilds everything without recomputing.

Statements registered but absent from the results (a partial run) appear with verdict ``not run``,
so the paper still builds. :func:`check_paper` resolves every ``\\input``, ``\\includegraphics``,
``\\bibliography``, ``\\rmtstat``/``\\rmtgroup`` key and ``\\ref`` of the paper without running TeX.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from rmtcheck.paper._counterexamples import _counterexamples
from rmtcheck.paper._figures import _figure_env, _figures_info, _figures_table
from rmtcheck.paper.check import _strip_comments
from rmtcheck.paper.records import GROUP_TITLES, _clean, _counts, _group, _groups, complete_records
from rmtcheck.paper.sweeps import _sweeps
from rmtcheck.paper.tex import _csdef, _header, _num, _tightness_tex, _tt, _verdict_tex, tex_escape

__all__ = [
    "FIGURE_FIELDS", "STAT_FIELDS", "build_fragments",
]

STAT_FIELDS = ("verdict", "instances", "violations", "skipped", "tightness", "tightnessmin", "tightnessmax",
               "method", "notion", "sampling", "tag", "claimed", "source", "text", "latex", "cite", "holds", "Holds",
               "truth")
#: the plain word of a verdict (``\rmtstat{ID}{holds}``) and whether the statement is true on the instances
_HOLDS = {"holds": ("holds", "true"), "no counterexample found": ("holds", "true"), "VIOLATED": ("fails", "false"),
          "fails (as expected)": ("fails", "false")}
FIGURE_FIELDS = ("command", "seed", "quick", "pdfsha")


# ----------------------------------------------------------------------------------- locations


# ----------------------------------------------------------------------------------- records


# ----------------------------------------------------------------------------------- TeX helpers


# ----------------------------------------------------------------------------------- fragments
def _latex(rec) -> str:
    """The statement's LaTeX rendering (the record's ``latex``), else its ``text`` escaped."""
    return rec.get("latex") or tex_escape(rec["text"])


def _cite(rec) -> str:
    refs = [k for k in (rec.get("refs") or []) if k]
    return f"\\citep{{{','.join(refs)}}}" if refs else ""


def _macros(records, counts_by_group, versions, seed, note, figures_info, source, sweeps=None) -> str:
    sweeps = sweeps or {}
    c = _counts(records)
    lines = [_header("Numbers quoted by main.tex", source), _MACROS_DOC,
             "\\makeatletter",
             "\\providecommand{\\rmtmissing}[2]{\\textbf{??}\\PackageWarning{rmtcheck}{undefined key "
             "\\detokenize{#1/#2} (regenerate the fragments)}}",
             "\\providecommand{\\rmtstat}[2]{\\ifcsname rmt/s/#1/#2\\endcsname\\csname rmt/s/#1/#2\\endcsname"
             "\\else\\rmtmissing{#1}{#2}\\fi}",
             "\\providecommand{\\rmtgroup}[2]{\\ifcsname rmt/g/#1/#2\\endcsname\\csname rmt/g/#1/#2\\endcsname"
             "\\else\\rmtmissing{#1}{#2}\\fi}",
             "\\providecommand{\\rmtfig}[2]{\\ifcsname rmt/f/#1/#2\\endcsname\\csname rmt/f/#1/#2\\endcsname"
             "\\else\\rmtmissing{#1}{#2}\\fi}",
             "\\makeatother"]
    names = {"NStatements": c["statements"], "NClaimed": c["claimed"], "NProbes": c["probes"], "NHolds": c["holds"],
             "NViolated": c["violated"], "NCounterexamples": c["counterexamples"],
             "NNoCounterexample": c["nocounterexample"], "FailsRun": c["failsrun"], "NNoInstance": c["noinstance"], "NNotRun": c["notrun"],
             "NInstances": c["instances"], "NViolations": c["violations"], "NGroups": len(counts_by_group),
             "NFigures": len(figures_info), "NFiguresGenerated": sum(f["exists"] for f in figures_info.values()),
             "Seed": "--" if seed is None else seed}
    for k, v in names.items():
        lines.append(f"\\newcommand{{\\rmt{k}}}{{{v}}}")
    overall = ("No statement claimed in its regime is violated by exact or symbolic computation, nor by Monte Carlo "
               "or a statistical test beyond its stated margin"
               if c["failsrun"] == 0 else
               f"{c['failsrun']} statement(s) claimed in their regime are violated by exact or symbolic computation "
               "or beyond a statistical margin")
    lines.append(f"\\newcommand{{\\rmtOverall}}{{{overall}}}")
    lines.append("\\newif\\ifrmtHaveSweeps" + ("\\rmtHaveSweepstrue" if sweeps.get("cells") else ""))
    lines.append(f"\\newcommand{{\\rmtNSweeps}}{{{sweeps.get('sweeps', 0)}}}")
    lines.append(f"\\newcommand{{\\rmtNSweepCells}}{{{sweeps.get('cells', 0)}}}")
    lines.append(f"\\newcommand{{\\rmtRunNote}}{{{tex_escape(note)}}}")
    for lib, v in sorted(versions.items()):
        lines.append(f"\\newcommand{{\\rmtVersion{lib.capitalize()}}}{{{tex_escape(v)}}}")
    lines.append("% per group: \\rmtgroup{GROUP}{statements|claimed|holds|violated|probes|counterexamples|instances}")
    for g, gc in counts_by_group.items():
        for f in ("statements", "claimed", "holds", "violated", "probes", "counterexamples", "instances"):
            lines.append(_csdef("g", g, f, gc[f]))
        lines.append(_csdef("g", g, "title", GROUP_TITLES.get(g, tex_escape(g.replace("_", " ").title()))))
    lines.append("% per statement: \\rmtstat{ID}{" + "|".join(STAT_FIELDS) + "}")
    for r in records:
        word, truth = _HOLDS.get(r["verdict"], ("untested", "untested"))
        vals = {"verdict": tex_escape(r["verdict"]), "instances": r["instances"], "violations": r["violations"],
                "skipped": r["skipped"], "tightness": _num(r["tightness_median"]),
                "tightnessmin": _num(r["tightness_min"]), "tightnessmax": _num(r["tightness_max"]),
                "method": tex_escape(r["method"]), "notion": tex_escape(r["notion"]),
                "sampling": tex_escape(r["sampling"]), "tag": tex_escape(r["tag"]),
                "claimed": "claimed" if r["claimed"] else "probe", "source": tex_escape(r["source"]),
                "text": tex_escape(r["text"]), "latex": _latex(r), "cite": _cite(r),
                "holds": word, "Holds": word.capitalize(), "truth": truth}
        for f in STAT_FIELDS:
            lines.append(_csdef("s", r["id"], f, vals[f]))
    lines.append("% per figure: \\rmtfig{NAME}{" + "|".join(FIGURE_FIELDS) + "}")
    for name, info in figures_info.items():
        e = info["entry"] or {}
        vals = {"command": _tt(info["command"]), "seed": e.get("seed", "--"),
                "quick": ("yes" if e.get("quick") else "no") if e else "--",
                "pdfsha": _tt(info["pdfsha"][:12]) if info["pdfsha"] else "--"}
        for f in FIGURE_FIELDS:
            lines.append(_csdef("f", name, f, vals[f]))
    return "\n".join(lines) + "\n"


_MACROS_DOC = r"""% Macros (all defined below; an unknown key typesets ?? and warns):
%   \rmtstat{ID}{FIELD}   per statement. FIELD: verdict (the verify verdict: holds, VIOLATED, fails (as expected),
%                         no counterexample found, no instance in regime, not run), holds (plain word: holds | fails
%                         | untested), Holds (capitalised), truth (true | false | untested), instances, violations,
%                         skipped, tightness, tightnessmin, tightnessmax, method, notion, sampling, tag,
%                         claimed (claimed | probe), source, text (ASCII text, escaped), latex (the statement's LaTeX
%                         rendering; the escaped text when it has none), cite (\citep{refs}, empty without refs)
%   \rmtgroup{GROUP}{FIELD} per group. FIELD: statements, claimed, holds, violated, probes, counterexamples,
%                         instances, title
%   \rmtfig{NAME}{FIELD}  per figure. FIELD: command, seed, quick, pdfsha
%   \rmtNStatements \rmtNClaimed \rmtNProbes \rmtNHolds \rmtNViolated \rmtNCounterexamples
%   \rmtNNoCounterexample \rmtNNoInstance \rmtNNotRun \rmtNInstances \rmtNViolations \rmtNGroups \rmtNFigures
%   \rmtNFiguresGenerated \rmtSeed \rmtFailsRun (claimed rows that make `rmtcheck verify` exit 1)  counts
%   \rmtOverall (a sentence on the claimed rows), \rmtRunNote (a sentence for quick runs, else empty)
%   \rmtVersionNAME   package versions (Rmtcheck, Numpy, Scipy, Sympy, Matplotlib, ...)
%   \rmtNSweeps \rmtNSweepCells  sweeps planned and cells finished in the sweep store (0 without one)
%   \ifrmtHaveSweeps ... \fi   true only when a sweep store with finished cells was found (sweeps.tex is then
%                         its summary tables; without one sweeps.tex holds only comments)"""


def _summary_table(counts_by_group, source) -> str:
    cols = ["statements", "claimed", "holds", "violated", "probes", "counterexamples"]
    heads = ["Statements", "Claimed", "Hold", "Violated", "Probes", "Counterexamples"]
    if any(c["notrun"] for c in counts_by_group.values()):
        cols.append("notrun")
        heads.append("Not run")
    lines = [_header("Verdict summary per group", source),
             "\\begin{tabular}{@{}l" + "r" * len(cols) + "@{}}", "\\toprule",
             "Group & " + " & ".join(heads) + " \\\\", "\\midrule"]
    tot = {k: 0 for k in cols}
    for g, c in counts_by_group.items():
        lines.append(f"{_tt(g)} & " + " & ".join(str(c[k]) for k in cols) + " \\\\")
        for k in tot:
            tot[k] += c[k]
    lines += ["\\midrule", "all & " + " & ".join(str(tot[k]) for k in cols) + " \\\\", "\\bottomrule",
              "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def _group_table(group, recs, source) -> str:
    lines = [_header(f"Verdict table of group {group}", source),
             "{\\footnotesize\\setlength{\\tabcolsep}{3pt}",
             "\\begin{longtable}{@{}>{\\raggedright\\arraybackslash}p{0.54\\linewidth}"
             ">{\\raggedright\\arraybackslash}p{0.14\\linewidth}rr>{\\raggedright\\arraybackslash}p{0.09\\linewidth}"
             ">{\\raggedright\\arraybackslash}p{0.09\\linewidth}@{}}",
             "\\toprule", "Statement & Notion / sampling / method & $n$ & viol. & tightness & verdict \\\\",
             "\\midrule", "\\endhead", "\\bottomrule", "\\endfoot"]
    for r in recs:
        star = "" if r["claimed"] else "$^{*}$"
        cite = _cite(r)
        stmt = (f"{_tt(r['id'])}{star} {{\\scriptsize [{tex_escape(r['tag'])}] {tex_escape(r['source'])}"
                f"{' ' + cite if cite else ''}}}\\newline {_latex(r)}")
        meth = f"{tex_escape(r['notion'])}\\newline {_tt(r['sampling'])}\\newline {tex_escape(r['method'])}"
        lines.append(f"{stmt} & {meth} & {r['instances']} & {r['violations']} & {_tightness_tex(r)} & "
                     f"{_verdict_tex(r)} \\\\[2pt]")
    lines += ["\\end{longtable}}"]
    return "\n".join(lines) + "\n"


def _placed_figures(main_tex: Path) -> set[str]:
    try:
        text = _strip_comments(main_tex.read_text(encoding="utf-8"))
    except OSError:
        return set()
    return set(re.findall(r"\\input\{generated/figure-([^}]+?)(?:\.tex)?\}", text))


def _placed_groups(main_tex: Path) -> set[str]:
    try:
        text = _strip_comments(main_tex.read_text(encoding="utf-8"))
    except OSError:
        return set()
    return set(re.findall(r"\\input\{generated/verify-table-([^}]+?)(?:\.tex)?\}", text))


def build_fragments(records, paper_dir, figures_dir=None, sweep_store=None, source: str = "rmtcheck verify",
                    note: str = "", complete: bool = True, progress=None) -> dict[str, Path]:
    """Write every fragment into ``paper_dir/generated/`` and return ``{name: path}``.

    Parameters
    ----------
    records : list of dict
        Verify records (:func:`verify_records` or :func:`load_records`).
    paper_dir : path
        The directory of ``main.tex`` (``\\input`` and ``\\includegraphics`` resolve relative to it).
    figures_dir : path, optional
        Where ``rmtcheck figures`` wrote the figures and ``manifest.json`` (default ``paper_dir/../figures``).
    sweep_store : path, optional
        The sweep SQLite store (default: :func:`rmtcheck.sweep` 's default store path, if it exists).
    source : str
        How the records were obtained (written in the fragments' headers; no dates).
    note : str
        A sentence typeset by ``\\rmtRunNote`` (e.g. that a quick run was used).
    complete : bool
        Add ``not run`` records for registered statements missing from ``records``.
    progress : callable, optional
        ``progress(name)`` as each fragment is generated (``rmtcheck paper`` prints one line per fragment).

    Fragments of figures or groups that no longer exist are removed from ``generated/``.
    """
    from rmtcheck.plotting.manifest import package_versions

    paper_dir = Path(paper_dir)
    figures_dir = paper_dir.parent / "figures" if figures_dir is None else Path(figures_dir)
    gen = paper_dir / "generated"
    gen.mkdir(parents=True, exist_ok=True)
    records = complete_records([_clean(r) for r in records]) if complete else [_clean(r) for r in records]
    groups = _groups(records)
    by_group = {g: [r for r in records if _group(r) == g] for g in groups}
    counts_by_group = {g: _counts(rs) for g, rs in by_group.items()}
    seeds = sorted({r["seed"] for r in records if r.get("seed") is not None})
    seed = seeds[0] if len(seeds) == 1 else (None if not seeds else "/".join(map(str, seeds)))
    versions = package_versions()
    figs = _figures_info(figures_dir)
    say = progress if progress is not None else (lambda name: None)
    files: dict[str, str] = {}
    sweeps_tex, sweeps_info = _sweeps(sweep_store, source)
    say("macros.tex")
    files["macros.tex"] = _macros(records, counts_by_group, versions, seed, note, figs, source,
                                  sweeps=sweeps_info)
    say("verify-summary.tex")
    files["verify-summary.tex"] = _summary_table(counts_by_group, source)
    for g, rs in by_group.items():
        say(f"verify-table-{g}.tex")
        files[f"verify-table-{g}.tex"] = _group_table(g, rs, source)
    say("verify-counterexamples.tex")
    files["verify-counterexamples.tex"] = _counterexamples(records, source)
    for name, info in figs.items():
        say(f"figure-{name}.tex")
        rel = Path(os.path.relpath(info["pdf"], paper_dir)).as_posix()
        files[f"figure-{name}.tex"] = _figure_env(name, info, rel, source)
    say("figures-other.tex, figures-table.tex, verify-tables-other.tex")
    placed = _placed_figures(paper_dir / "main.tex")
    others = [n for n in figs if n not in placed]
    other = [_header("Registered figures that main.tex does not place itself", source)]
    other += [f"\\input{{generated/figure-{n}}}" for n in others] or ["% (none)"]
    files["figures-other.tex"] = "\n".join(other) + "\n"
    files["figures-table.tex"] = _figures_table(figs, source)
    placed_groups = _placed_groups(paper_dir / "main.tex")
    extra = [_header("Verdict tables of groups that main.tex does not place itself", source)]
    for g in groups:
        if g not in placed_groups:
            extra += [f"\\subsection{{\\rmtgroup{{{g}}}{{title}}}}", f"\\input{{generated/verify-table-{g}}}"]
    files["verify-tables-other.tex"] = "\n".join(extra if len(extra) > 1 else extra + ["% (none)"]) + "\n"
    say("sweeps.tex")
    files["sweeps.tex"] = sweeps_tex
    say("verify-results.json")
    files["verify-results.json"] = json.dumps({"format": 1, "source": source, "results": records}, indent=1,
                                              sort_keys=True) + "\n"
    written = {}
    for name, text in files.items():
        p = gen / name
        if not p.is_file() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8", newline="\n")
        written[name] = p
    for stale in gen.iterdir():  # fragments of removed figures / groups
        if stale.name not in files and re.match(r"(figure-|verify-table-).*\.tex$", stale.name):
            stale.unlink()
    return written


# ----------------------------------------------------------------------------------- checking


# ----------------------------------------------------------------------------------- README


# ----------------------------------------------------------------------------------- PDF


