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
    ``tightnessmax``, ``method``, ``notion``, ``sampling``, ``tag``, ``claimed``, ``source``, ``text``)
    and per group ``\\rmtgroup{GROUP}{FIELD}`` (``statements``, ``claimed``, ``holds``, ``violated``,
    ``probes``, ``counterexamples``, ``instances``). An unknown key typesets **??** and warns.
``verify-summary.tex``, ``verify-table-GROUP.tex``, ``verify-counterexamples.tex``
    The verdict tables (per group: statement, notion/sampling/method, instances, violations,
    tightness, verdict) and the first counterexample of every probe that fails.
``figure-NAME.tex`` (one per registered figure), ``figures-other.tex``, ``figures-table.tex``
    A ``figure`` environment including ``figures/NAME.pdf`` (a boxed placeholder naming the command
    when the figure has not been generated yet), figures that ``main.tex`` does not place itself
    (so newly registered figures appear automatically), and the provenance table from the manifest.
``sweeps.tex``
    A summary of the sweep store (``rmtcheck.sweep``) when one is found, otherwise a note saying so.
``verify-results.json``
    The verify records the fragments were made from (without timings); ``rmtcheck paper
    --from-json paper/generated/verify-results.json`` rebuilds everything without recomputing.

Statements registered but absent from the results (a partial run) appear with verdict ``not run``,
so the paper still builds. :func:`check_paper` resolves every ``\\input``, ``\\includegraphics``,
``\\bibliography``, ``\\rmtstat``/``\\rmtgroup`` key and ``\\ref`` of the paper without running TeX.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

__all__ = [
    "GROUP_TITLES", "FIGURE_FIELDS", "STAT_FIELDS", "find_root", "verify_records", "load_records",
    "complete_records", "build_fragments", "check_paper", "readme_blocks", "update_readme", "build_pdf",
    "tex_escape", "TEX_INSTALL_HINT",
]

#: Display titles of the statement groups (unknown groups get their name, title-cased).
GROUP_TITLES = {
    "dexter": "Dexter et al.\\ (2024): SGD stability and coherence",
    "chang_khanna": "Chang \\& Khanna (2026): descent--ascent unlearning",
    "ascent": "Mavrothalassitis et al.\\ (2025): ascent fails to forget",
    "spectral": "Heavy-tailed spectra and SRAGU",
    "cnn": "Two-layer ReLU CNN: coherence, SNR and escape",
    "rmt": "Random-matrix facts behind coherence and SNR",
}
_GROUP_ORDER = ("dexter", "chang_khanna", "ascent", "spectral")
STAT_FIELDS = ("verdict", "instances", "violations", "skipped", "tightness", "tightnessmin", "tightnessmax",
               "method", "notion", "sampling", "tag", "claimed", "source", "text")
FIGURE_FIELDS = ("command", "seed", "quick", "pdfsha")
_RECORD_KEYS = ("id", "source", "text", "tag", "notion", "sampling", "regime", "method", "claimed", "instances",
                "skipped", "violations", "verdict", "tightness_min", "tightness_median", "tightness_max",
                "first_violation", "threshold", "seed")
NOT_RUN = "not run"
TEX_INSTALL_HINT = (
    "No TeX installation found (latexmk and pdflatex are needed to build paper/main.pdf).\n"
    "Install one, then run `make -C paper` (or `rmtcheck paper`) again:\n"
    "  Debian/Ubuntu: sudo apt-get install latexmk texlive-latex-recommended texlive-fonts-recommended lmodern\n"
    "  macOS:         brew install --cask mactex-no-gui   (or: brew install basictex && sudo tlmgr install latexmk)\n"
    "  any OS:        TinyTeX (https://yihui.org/tinytex/), then: tlmgr install latexmk booktabs "
    "xcolor natbib lm\n"
    "The generated fragments under paper/generated/ are up to date; only the PDF step was skipped."
)
README_BLOCKS = ("gallery", "statements")


# ----------------------------------------------------------------------------------- locations
def find_root() -> Path | None:
    """The repository root (holding ``paper/main.tex``): the working directory or the package's parent."""
    for c in (Path.cwd(), Path(__file__).resolve().parents[1]):
        if (c / "paper" / "main.tex").is_file():
            return c
    return None


# ----------------------------------------------------------------------------------- records
def _clean(rec: dict) -> dict:
    return {k: rec.get(k) for k in _RECORD_KEYS}


def verify_records(ids=None, seed: int = 0, instances: int | None = None) -> list[dict]:
    """Run ``rmtcheck verify`` (all statements, or ``ids``) and return JSON-able records without timings."""
    from .verify import run_all

    return [_clean(r.to_dict()) for r in run_all(ids, seed=seed, instances=instances)]


def load_records(path, with_source: bool = False):
    """Records from ``rmtcheck verify --json`` output or from ``paper/generated/verify-results.json``.

    With ``with_source=True`` return ``(records, source)``: the provenance string saved with
    ``verify-results.json`` (``None`` for raw ``verify --json`` output)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"from_json: cannot read {str(path)!r}: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"from_json: {str(path)!r} is not JSON: {exc}") from exc
    source = None
    if isinstance(data, dict):
        source = data.get("source")
        data = data.get("results")
    if not isinstance(data, list) or not all(isinstance(r, dict) and "id" in r and "verdict" in r for r in data):
        raise ValueError(f"from_json: {str(path)!r} is not the output of `rmtcheck verify --json` "
                         "(a list of records with 'id' and 'verdict')")
    records = [_clean(r) for r in data]
    return (records, source) if with_source else records


def complete_records(records: list[dict]) -> list[dict]:
    """``records`` plus a ``not run`` record for every registered statement they lack (registry order)."""
    from .verify import registry

    have = {r["id"]: r for r in records}
    out = []
    for sid, s in registry().items():
        if sid in have:
            out.append(have.pop(sid))
        else:
            out.append({"id": sid, "source": s.source, "text": s.text, "tag": s.tag, "notion": s.notion,
                        "sampling": s.sampling, "regime": s.regime, "method": s.method, "claimed": s.claimed,
                        "instances": 0, "skipped": 0, "violations": 0, "verdict": NOT_RUN,
                        "tightness_min": None, "tightness_median": None, "tightness_max": None,
                        "first_violation": None, "threshold": None, "seed": None})
    out.extend(have.values())  # results of statements no longer registered stay visible
    return out


def _group(rec) -> str:
    return rec["id"].split(".")[0]


def _groups(records) -> list[str]:
    seen = list(dict.fromkeys(_group(r) for r in records))
    return sorted(seen, key=lambda g: (_GROUP_ORDER.index(g) if g in _GROUP_ORDER else len(_GROUP_ORDER), g))


def _counts(records) -> dict:
    claimed = [r for r in records if r["claimed"]]
    probes = [r for r in records if not r["claimed"]]
    return {
        "statements": len(records),
        "claimed": len(claimed),
        "probes": len(probes),
        "holds": sum(r["verdict"] == "holds" for r in records),
        "violated": sum(r["verdict"] == "VIOLATED" for r in records),
        "counterexamples": sum(r["verdict"] == "fails (as expected)" for r in records),
        "nocounterexample": sum(r["verdict"] == "no counterexample found" for r in records),
        "noinstance": sum(r["verdict"] == "no instance in regime" for r in records),
        "notrun": sum(r["verdict"] == NOT_RUN for r in records),
        "instances": sum(int(r["instances"] or 0) for r in records),
        "violations": sum(int(r["violations"] or 0) for r in records),
        "failsrun": sum(bool(r["claimed"]) and int(r["violations"] or 0) > 0 and r["method"] in ("exact", "symbolic")
                        for r in records),
    }


# ----------------------------------------------------------------------------------- TeX helpers
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
    """Text safe for LaTeX (pdflatex + T1): specials escaped, common Unicode mapped, others replaced."""
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
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        s = f"{x:.{digits}g}"
        if "e" not in s:
            return s
    m, e = f"{x:.{digits - 1}e}".split("e")
    return f"${m}\\times10^{{{int(e)}}}$"


def _md_num(x, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    return f"{float(x):.{digits}g}"


def _header(what: str, source: str) -> str:
    return (f"% {what}\n% Generated by `rmtcheck paper` (rmtcheck._paper) from {source}. Do not edit: "
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


# ----------------------------------------------------------------------------------- fragments
def _macros(records, counts_by_group, versions, seed, note, figures_info, source) -> str:
    c = _counts(records)
    lines = [_header("Numbers quoted by main.tex", source),
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
             "NNoCounterexample": c["nocounterexample"], "NNoInstance": c["noinstance"], "NNotRun": c["notrun"],
             "NInstances": c["instances"], "NViolations": c["violations"], "NGroups": len(counts_by_group),
             "NFigures": len(figures_info), "NFiguresGenerated": sum(f["exists"] for f in figures_info.values()),
             "Seed": "--" if seed is None else seed}
    for k, v in names.items():
        lines.append(f"\\newcommand{{\\rmt{k}}}{{{v}}}")
    overall = ("No statement claimed in its regime is violated by exact or symbolic computation"
               if c["failsrun"] == 0 else
               f"{c['failsrun']} statement(s) claimed in their regime are violated by exact or symbolic computation")
    lines.append(f"\\newcommand{{\\rmtOverall}}{{{overall}}}")
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
        vals = {"verdict": tex_escape(r["verdict"]), "instances": r["instances"], "violations": r["violations"],
                "skipped": r["skipped"], "tightness": _num(r["tightness_median"]),
                "tightnessmin": _num(r["tightness_min"]), "tightnessmax": _num(r["tightness_max"]),
                "method": tex_escape(r["method"]), "notion": tex_escape(r["notion"]),
                "sampling": tex_escape(r["sampling"]), "tag": tex_escape(r["tag"]),
                "claimed": "claimed" if r["claimed"] else "probe", "source": tex_escape(r["source"]),
                "text": tex_escape(r["text"])}
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
             "\\begin{longtable}{@{}>{\\raggedright\\arraybackslash}p{0.46\\linewidth}"
             ">{\\raggedright\\arraybackslash}p{0.16\\linewidth}rr>{\\raggedright\\arraybackslash}p{0.10\\linewidth}"
             ">{\\raggedright\\arraybackslash}p{0.12\\linewidth}@{}}",
             "\\toprule", "Statement & Notion / sampling / method & $n$ & viol. & tightness & verdict \\\\",
             "\\midrule", "\\endhead", "\\bottomrule", "\\endfoot"]
    for r in recs:
        star = "" if r["claimed"] else "$^{*}$"
        stmt = (f"{_tt(r['id'])}{star} {{\\scriptsize [{tex_escape(r['tag'])}] {tex_escape(r['source'])}}}"
                f"\\newline {tex_escape(r['text'])}")
        meth = f"{tex_escape(r['notion'])}\\newline {_tt(r['sampling'])}\\newline {tex_escape(r['method'])}"
        lines.append(f"{stmt} & {meth} & {r['instances']} & {r['violations']} & {_tightness_tex(r)} & "
                     f"{_verdict_tex(r)} \\\\[2pt]")
    lines += ["\\end{longtable}}"]
    return "\n".join(lines) + "\n"


def _short(x, digits: int = 4, items: int = 6):
    """Floats rounded to ``digits`` significant digits, lists cut to ``items`` entries (for display)."""
    if isinstance(x, dict):
        return {k: _short(v, digits, items) for k, v in x.items()}
    if isinstance(x, list):
        out = [_short(v, digits, items) for v in x[:items]]
        return out + ["..."] if len(x) > items else out
    if isinstance(x, float) and math.isfinite(x):
        return float(f"{x:.{digits}g}")
    return x


def _counterexamples(records, source) -> str:
    lines = [_header("First counterexample of every statement with a violation", source)]
    bad = [r for r in records if r["violations"] and r.get("first_violation")]
    if not bad:
        lines.append("No statement produced a counterexample in this run.")
        return "\n".join(lines) + "\n"
    lines.append("\\begin{description}\\footnotesize")
    for r in bad:
        fv = r["first_violation"]
        inst = json.dumps(_short(fv.get("instance")), sort_keys=True, default=str)
        det = json.dumps(_short(fv.get("detail")), sort_keys=True, default=str)
        inst = inst if len(inst) <= 240 else inst[:237] + "..."
        det = det if len(det) <= 320 else det[:317] + "..."
        kind = "VIOLATION" if r["claimed"] else "counterexample"
        lines.append(f"\\item[{_tt(r['id'])}] {kind} at instance {fv.get('index')} "
                     f"(reproduce: {_tt('rmtcheck verify --only ' + r['id'] + ' --seed ' + str(fv.get('seed')))}); "
                     f"instance {_tt(inst, False)}; detail {_tt(det, False)}.")
    lines.append("\\end{description}")
    return "\n".join(lines) + "\n"


def _png_width_in(path: Path, dpi: float = 200.0) -> float | None:
    """Natural width in inches of a PNG written at the style's ``savefig.dpi``."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
        if head[:8] != b"\x89PNG\r\n\x1a\n":
            return None
        return int.from_bytes(head[16:20], "big") / dpi
    except OSError:
        return None


def _figures_info(figures_dir: Path) -> dict:
    from .plotting._manifest import figure_description, load_manifest, reproduce_command
    from .plotting._registry import figures

    man = load_manifest(figures_dir)["figures"]
    out = {}
    for name, fn in figures().items():
        pdf = figures_dir / f"{name}.pdf"
        entry = man.get(name)
        desc = figure_description(fn)
        cmd = entry["command"] if entry and not entry.get("quick") else reproduce_command(name)
        out[name] = {"exists": pdf.is_file(), "pdf": pdf, "entry": entry, "description": desc, "command": cmd,
                     "pdfsha": (entry or {}).get("files", {}).get(f"{name}.pdf"),
                     "width_in": _png_width_in(figures_dir / f"{name}.png")}
    return out


def _figure_env(name, info, rel_pdf: str, source) -> str:
    desc = tex_escape(info["description"] or f"Figure {name}.")
    if desc and not desc.rstrip().endswith("."):
        desc += "."
    e = info["entry"]
    prov = f" Reproduce: {_tt(info['command'])}"
    if e and e.get("quick"):
        prov += " (this build used the quick grid: \\texttt{-{}-quick})"
    data = [d for d in (e or {}).get("data", [])]
    if data:
        prov += "; data: " + ", ".join(_tt("figures/" + d) for d in data)
    lines = [_header(f"Figure {name}", source), "\\begin{figure}[tbp]", "\\centering"]
    if info["exists"]:
        w = info["width_in"]
        width = "\\linewidth" if (w is None or w > 6.4) else f"{w:.2f}in"
        lines.append(f"\\includegraphics[width={width},height=0.45\\textheight,keepaspectratio]{{{rel_pdf}}}")
    else:
        lines.append("\\fbox{\\parbox{0.9\\linewidth}{\\centering\\vspace{2em}Figure "
                     f"{_tt(name)} has not been generated yet: run {_tt(info['command'])}, then rebuild."
                     "\\vspace{2em}}}")
    lines += [f"\\caption[{{{desc}}}]{{{desc}{prov}.}}", f"\\label{{fig:{name}}}", "\\end{figure}"]
    return "\n".join(lines) + "\n"


def _figures_table(figs, source) -> str:
    lines = [_header("Provenance of every registered figure (from figures/manifest.json)", source),
             "{\\footnotesize",
             "\\begin{longtable}{@{}p{0.30\\linewidth}p{0.45\\linewidth}rp{0.14\\linewidth}@{}}",
             "\\caption{Provenance of every registered figure (\\texttt{figures/manifest.json}): the command that "
             "reproduces it, its seed and the first digits of its PDF's SHA-256.}\\label{tab:figures}\\\\", "\\toprule",
             "Figure & Reproducing command & seed & PDF SHA-256 \\\\", "\\midrule", "\\endhead",
             "\\bottomrule", "\\endfoot"]
    for name, info in figs.items():
        e = info["entry"] or {}
        sha = _tt(info["pdfsha"][:12]) if info["pdfsha"] else "not generated"
        lines.append(f"{_tt(name)} & {_tt(info['command'])} & {e.get('seed', '--')} & {sha} \\\\")
    lines.append("\\end{longtable}}")
    return "\n".join(lines) + "\n"


def _sweep_store_path(store):
    if store is not None:
        return Path(store)
    try:
        from .sweep._store import default_store_path
    except Exception:  # noqa: BLE001 - the sweep engine is optional here
        p = Path(os.environ.get("RMTCHECK_STORE") or "rmtcheck-sweeps.sqlite")
    else:
        p = default_store_path()
    if not p.is_absolute() and not p.exists():
        root = find_root()
        if root is not None and (root / p).exists():
            p = root / p
    return p


def _sweeps(store, source) -> tuple[str, dict]:
    """The sweep summary fragment and its numbers (read-only access to the SQLite store)."""
    head = _header("Sweep summary (from the rmtcheck.sweep results store)", source)
    path = _sweep_store_path(store)
    missing = (head + "\\newcommand{\\rmtNSweeps}{0}\\newcommand{\\rmtNSweepCells}{0}\n"
               "No sweep results store was found when these fragments were generated "
               f"(looked for {_tt(path.as_posix())}; set \\texttt{{RMTCHECK\\_STORE}} or pass "
               "\\texttt{-{}-sweeps PATH}). Run the sweeps, then \\texttt{rmtcheck paper} to summarise them here.\n")
    if not path.is_file():
        return missing, {}
    try:
        con = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
        try:
            plans = con.execute("SELECT sweep_id, experiment, code_version, root_seed, total FROM sweeps "
                                "ORDER BY experiment, sweep_id").fetchall()
            done = {}
            for sid, n in con.execute(
                    "SELECT p.sweep_id, COUNT(c.result) FROM sweep_cells p JOIN sweeps s ON s.sweep_id = p.sweep_id "
                    "LEFT JOIN cells c ON c.experiment = s.experiment AND c.code_version = s.code_version "
                    "AND c.params = p.params AND c.seed = p.seed GROUP BY p.sweep_id"):
                done[sid] = int(n)
            results = {}
            for exp, res in con.execute("SELECT experiment, result FROM cells ORDER BY experiment, params, seed"):
                results.setdefault(exp, []).append(res)
        finally:
            con.close()
    except sqlite3.Error as exc:
        return missing.replace("No sweep results store was found", f"The sweep store could not be read ({tex_escape(exc)})"), {}
    n_cells = sum(len(v) for v in results.values())
    lines = [head, f"\\newcommand{{\\rmtNSweeps}}{{{len(plans)}}}", f"\\newcommand{{\\rmtNSweepCells}}{{{n_cells}}}"]
    if not plans and not results:
        lines.append("The sweep store is empty.")
        return "\n".join(lines) + "\n", {"sweeps": 0, "cells": 0}
    lines += ["{\\footnotesize", "\\begin{longtable}{@{}p{0.28\\linewidth}p{0.30\\linewidth}rr@{}}", "\\toprule",
              "Experiment & Code version & root seed & cells done / planned \\\\", "\\midrule", "\\endhead",
              "\\bottomrule", "\\endfoot"]
    for sid, exp, ver, root, total in plans:
        lines.append(f"{_tt(exp)} & {_tt(ver)} & {tex_escape(root)} & {done.get(sid, 0)} / {total} \\\\")
    lines.append("\\end{longtable}}")
    # numeric result fields: range over the finished cells of each experiment
    summ = []
    for exp, rows in sorted(results.items()):
        vals: dict[str, list[float]] = {}
        for res in rows:
            try:
                obj = json.loads(res)
            except ValueError:
                continue
            if isinstance(obj, dict):
                for k, v in obj.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                        vals.setdefault(k, []).append(float(v))
        for k in sorted(vals)[:8]:
            v = sorted(vals[k])
            summ.append(f"{_tt(exp)} & {_tt(k)} & {len(v)} & {_num(v[0])} & {_num(v[len(v) // 2])} & {_num(v[-1])} \\\\")
    if summ:
        lines += ["", "{\\footnotesize", "\\begin{longtable}{@{}llrrrr@{}}", "\\toprule",
                  "Experiment & result & cells & min & median & max \\\\", "\\midrule", "\\endhead", "\\bottomrule",
                  "\\endfoot", *summ, "\\end{longtable}}"]
    return "\n".join(lines) + "\n", {"sweeps": len(plans), "cells": n_cells}


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
                    note: str = "", complete: bool = True) -> dict[str, Path]:
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

    Fragments of figures or groups that no longer exist are removed from ``generated/``.
    """
    from .plotting._manifest import package_versions

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
    files: dict[str, str] = {}
    files["macros.tex"] = _macros(records, counts_by_group, versions, seed, note, figs, source)
    files["verify-summary.tex"] = _summary_table(counts_by_group, source)
    for g, rs in by_group.items():
        files[f"verify-table-{g}.tex"] = _group_table(g, rs, source)
    files["verify-counterexamples.tex"] = _counterexamples(records, source)
    for name, info in figs.items():
        rel = Path(os.path.relpath(info["pdf"], paper_dir)).as_posix()
        files[f"figure-{name}.tex"] = _figure_env(name, info, rel, source)
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
    files["sweeps.tex"], _ = _sweeps(sweep_store, source)
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
def _strip_comments(text: str) -> str:
    return "\n".join(re.sub(r"(?<!\\)%.*$", "", line) for line in text.splitlines())


def _defined_keys(gen_dir: Path) -> set[str]:
    keys = set()
    for p in sorted(gen_dir.glob("*.tex")):
        keys.update(re.findall(r"\\csname rmt/([sgf]/[^\\]+?/[^/\\]+?)\\endcsname", p.read_text(encoding="utf-8")))
    return keys


def check_paper(paper_dir, main: str = "main.tex") -> list[str]:
    """Problems that would stop the paper from building, found without TeX (empty list: all resolve).

    Follows ``\\input``/``\\include`` recursively from ``main`` and checks that every included file,
    every ``\\includegraphics`` target (with or without extension), every ``\\bibliography`` database,
    every ``\\cite`` key, every ``\\rmtstat``/``\\rmtgroup``/``\\rmtfig`` key (defined in ``generated/macros.tex``) and every
    ``\\ref``/``\\Cref``/``\\cref``/``\\autoref`` label exists. Paths resolve relative to ``paper_dir``,
    TeX's working directory.
    """
    paper_dir = Path(paper_dir)
    problems, seen, labels, refs, keys_used, cites, bibs = [], set(), set(), [], [], [], []
    texts = {}

    def visit(path: Path):
        rp = path.resolve()
        if rp in seen:
            return
        seen.add(rp)
        text = _strip_comments(path.read_text(encoding="utf-8"))
        texts[path] = text
        where = path.relative_to(paper_dir).as_posix() if path.is_relative_to(paper_dir) else str(path)
        for cmd, target in re.findall(r"\\(input|include)\{([^}]+)\}", text):
            cand = [paper_dir / target, paper_dir / (target + ".tex")]
            hit = next((c for c in cand if c.is_file()), None)
            if hit is None:
                problems.append(f"{where}: \\{cmd}{{{target}}} does not resolve")
            else:
                visit(hit)
        for target in re.findall(r"\\includegraphics\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}", text):
            cand = [paper_dir / target] + [paper_dir / (target + ext) for ext in (".pdf", ".png", ".jpg", ".eps")]
            if not any(c.is_file() for c in cand):
                problems.append(f"{where}: \\includegraphics{{{target}}} does not resolve")
        for targets in re.findall(r"\\bibliography\{([^}]+)\}", text):
            for t in targets.split(","):
                t = t.strip()
                if not ((paper_dir / t).is_file() or (paper_dir / (t + ".bib")).is_file()):
                    problems.append(f"{where}: \\bibliography{{{t}}} does not resolve")
        labels.update(re.findall(r"\\label\{([^}]+)\}", text))
        for group in re.findall(r"\\(?:cite|citet|citep|citealp|citeauthor|citeyear)\*?(?:\[[^\]]*\])*\{([^}]+)\}", text):
            cites.extend((where, c.strip()) for c in group.split(","))
        bibs.extend(re.findall(r"\\bibliography\{([^}]+)\}", text))
        for group in re.findall(r"\\(?:ref|Cref|cref|autoref|pageref|eqref)\{([^}]+)\}", text):
            refs.extend((where, r.strip()) for r in group.split(","))
        for kind, a, b in re.findall(r"\\rmt(stat|group|fig)\{([^}]+)\}\{([^}]+)\}", text):
            keys_used.append((where, {"stat": "s", "group": "g", "fig": "f"}[kind], a, b))

    main_path = paper_dir / main
    if not main_path.is_file():
        return [f"{main_path} does not exist"]
    visit(main_path)
    defined = _defined_keys(paper_dir / "generated")
    for where, k, a, b in keys_used:
        if f"{k}/{a}/{b}" not in defined:
            macro = {"s": "rmtstat", "g": "rmtgroup", "f": "rmtfig"}[k]
            problems.append(f"{where}: \\{macro}{{{a}}}{{{b}}} is not defined by the generated macros")
    bib_keys = set()
    for targets in bibs:
        for t in targets.split(","):
            for cand in (paper_dir / t.strip(), paper_dir / (t.strip() + ".bib")):
                if cand.is_file():
                    bib_keys.update(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", cand.read_text(encoding="utf-8")))
    for where, c in cites:
        if c not in bib_keys:
            problems.append(f"{where}: citation {c!r} is not in the bibliography")
    for where, r in refs:
        if r not in labels:
            problems.append(f"{where}: reference {r!r} has no \\label")
    return problems


# ----------------------------------------------------------------------------------- README
def readme_blocks(records, figures_dir, readme_dir=None, complete: bool = True) -> dict[str, str]:
    """Markdown of the README's generated blocks: ``gallery`` and ``statements``."""
    figures_dir = Path(figures_dir)
    readme_dir = figures_dir.parent if readme_dir is None else Path(readme_dir)
    records = complete_records([_clean(r) for r in records]) if complete else [_clean(r) for r in records]
    figs = _figures_info(figures_dir)
    rel = Path(os.path.relpath(figures_dir, readme_dir)).as_posix()
    g = ["## Gallery", "",
         "Each figure is regenerated, with the data behind it (`.npz`, `.csv`) and its entry in "
         f"`{rel}/manifest.json`, by the command under it; `rmtcheck figures` makes them all "
         "(`--quick` for small grids). The paper (`paper/`) shows them with full captions.", "",
         "| | |", "|---|---|"]
    cells = []
    for name, info in figs.items():
        desc = info["description"].replace("|", "\\|")
        if len(desc) > 140:
            desc = desc[:137].rstrip() + "..."
        img = (f'<img src="{rel}/{name}.png" width="400" alt="{name}">' if (figures_dir / f"{name}.png").is_file()
               else "*(not generated yet)*")
        cells.append(f"{img}<br>**{name}**: {desc}<br>`{info['command']}`")
    if len(cells) % 2:
        cells.append(" ")
    for a, b in zip(cells[::2], cells[1::2]):
        g.append(f"| {a} | {b} |")
    s = ["## Verified statements", "",
         "Generated from `rmtcheck verify --json` by `rmtcheck paper --readme`; "
         "`*` marks probes outside a statement's regime (a violation there is a reported counterexample). "
         "Tightness: exact critical value ÷ the bound's (median).", ""]
    c = _counts(records)
    s.append(f"{c['statements']} statements, {c['claimed']} claimed in their regime: {c['holds']} hold, "
             f"{c['violated']} violated; {c['probes']} probes, {c['counterexamples']} with counterexamples"
             + (f"; {c['notrun']} not run" if c["notrun"] else "") + ".")
    for grp in _groups(records):
        title = GROUP_TITLES.get(grp, grp).replace("\\ ", " ").replace("\\&", "&").replace("--", "–")
        s += ["", f"**{title}** (`{grp}`)", "",
              "| statement | source | notion | sampling | method | n | viol. | tightness | verdict |",
              "|---|---|---|---|---|---:|---:|---:|---|"]
        for r in records:
            if _group(r) != grp:
                continue
            src = r["source"].replace("|", "\\|")
            s.append(f"| `{r['id']}`{'' if r['claimed'] else ' *'} | {src} | {r['notion']} | {r['sampling']} | "
                     f"{r['method']} | {r['instances']} | {r['violations']} | {_md_num(r['tightness_median'])} | "
                     f"{'**VIOLATED**' if r['verdict'] == 'VIOLATED' else r['verdict']} |")
    return {"gallery": "\n".join(g), "statements": "\n".join(s)}


def update_readme(path, blocks: dict[str, str], before: str = "## Adding your own theorem") -> bool:
    """Replace the ``<!-- BEGIN GENERATED: NAME -->`` … ``<!-- END GENERATED: NAME -->`` blocks of the
    README at ``path`` (inserting missing ones before the heading ``before``, else at the end).
    Text outside the blocks is never changed. Returns whether the file changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = text
    for name, body in blocks.items():
        begin, end = f"<!-- BEGIN GENERATED: {name} -->", f"<!-- END GENERATED: {name} -->"
        block = f"{begin}\n{body.rstrip()}\n{end}"
        pat = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        if pat.search(new):
            new = pat.sub(lambda m: block, new, count=1)
        elif before and ("\n" + before) in new:
            i = new.index("\n" + before) + 1
            new = new[:i] + block + "\n\n" + new[i:]
        else:
            new = new.rstrip("\n") + "\n\n" + block + "\n"
    if new != text:
        path.write_text(new, encoding="utf-8", newline="\n")
    return new != text


# ----------------------------------------------------------------------------------- PDF
def tex_available() -> bool:
    return shutil.which("latexmk") is not None and shutil.which("pdflatex") is not None


def build_pdf(paper_dir, main: str = "main.tex", stream=None) -> int:
    """Build ``main.pdf`` with latexmk (pdflatex; reproducible: ``SOURCE_DATE_EPOCH=0``).

    Returns 0 on success; 3 with installation instructions when no TeX is installed; latexmk's exit
    status otherwise.
    """
    stream = sys.stderr if stream is None else stream
    if not tex_available():
        print(TEX_INSTALL_HINT, file=stream)
        return 3
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    cmd = ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error", main]
    return subprocess.run(cmd, cwd=str(paper_dir), env=env).returncode
