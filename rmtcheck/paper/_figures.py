"""Figure fragments of the paper: one ``figure`` environment per registered figure (at scale 1, with the
docstring's first paragraph as caption) and the provenance table from ``figures/manifest.json``."""

from __future__ import annotations

from pathlib import Path

from rmtcheck.paper.tex import _header, _tt, tex_caption
from rmtcheck.plotting.printed import COLUMN_WIDTH

__all__ = []


def _pdf_width_in(path: Path) -> float | None:
    """Printed width in inches of a figure PDF (its first page), ``None`` when it cannot be read."""
    from rmtcheck.plotting.printed import pdf_page_size

    try:
        return pdf_page_size(path)[0] if path.is_file() else None
    except (OSError, ValueError):
        return None


def _figures_info(figures_dir: Path) -> dict:
    from rmtcheck.plotting.catalog import figures
    from rmtcheck.plotting.manifest import figure_description, load_manifest, reproduce_command

    man = load_manifest(figures_dir)["figures"]
    out = {}
    for name, fn in figures().items():
        pdf = figures_dir / f"{name}.pdf"
        entry = man.get(name)
        desc = figure_description(fn)
        cmd = entry["command"] if entry and not entry.get("quick") else reproduce_command(name)
        out[name] = {"exists": pdf.is_file(), "pdf": pdf, "entry": entry, "description": desc, "command": cmd,
                     "pdfsha": (entry or {}).get("files", {}).get(f"{name}.pdf"),
                     "pdf_width_in": _pdf_width_in(pdf)}
    return out


def _data_files(name: str, data) -> str:
    """``figures/NAME.{csv,npz}`` for the data files of figure ``name`` (each file named when they differ)."""
    stems = {Path(d).stem for d in data}
    if stems == {name}:
        exts = sorted(Path(d).suffix.lstrip(".") for d in data)
        tail = exts[0] if len(exts) == 1 else "\\{" + ",".join(exts) + "\\}"
        return _tt(f"figures/{name}")[:-1] + "." + tail + "}"
    return ", ".join(_tt("figures/" + d) for d in data)


def _figure_env(name, info, rel_pdf: str, source) -> str:
    """A ``figure`` including ``rel_pdf`` at scale 1 (no rescaling: figures are designed at their printed size),
    captioned with the docstring's first paragraph (inline ``$...$`` kept as mathematics) and its provenance;
    a one-column (3.25 in) figure has its caption beside it."""
    desc = tex_caption(info["description"] or f"Figure {name}.").strip()
    if desc and not desc.endswith("."):
        desc += "."
    e = info["entry"]
    prov = f" Reproduce: {_tt(info['command'])}"
    if e and e.get("quick"):
        prov += " (quick grid)"
    data = list((e or {}).get("data", []))
    if data:
        prov += "; data: " + _data_files(name, data)
    lines = [_header(f"Figure {name}", source), "\\begin{figure}[tbp]"]
    w = info.get("pdf_width_in")
    if info["exists"] and w is not None and abs(w - COLUMN_WIDTH) < 0.01:
        # a one-column figure: its caption beside it, in the rest of the text width
        lines += ["\\begin{minipage}[c]{3.25in}", f"\\includegraphics{{{rel_pdf}}}", "\\end{minipage}\\hfill",
                  "\\begin{minipage}[c]{\\dimexpr\\linewidth-3.25in-1.5em\\relax}",
                  # ragged right: a narrow justified caption stretches its spaces (\caption resets the paragraph
                  # shape, so the switch goes inside; \protect keeps it safe in the moving argument)
                  f"\\caption{{\\protect\\raggedright {desc}{prov}.}}\\label{{fig:{name}}}", "\\end{minipage}",
                  "\\end{figure}"]
        return "\n".join(lines) + "\n"
    lines.append("\\centering")
    if info["exists"]:
        lines.append(f"\\includegraphics{{{rel_pdf}}}")
    else:
        lines.append("\\fbox{\\parbox{0.9\\linewidth}{\\centering\\vspace{2em}Figure "
                     f"{_tt(name)} has not been generated yet: run {_tt(info['command'])}, then rebuild."
                     "\\vspace{2em}}}")
    lines += [f"\\caption{{{desc}{prov}.}}", f"\\label{{fig:{name}}}", "\\end{figure}"]
    return "\n".join(lines) + "\n"


def _figures_table(figs, source) -> str:
    """The provenance table: per figure its seed, data files and PDF digest; the reproducing command once in
    the caption (a figure whose command has another form gets it in its row)."""
    from rmtcheck.plotting.manifest import reproduce_command

    col = ">{\\raggedright\\arraybackslash}p"
    lines = [_header("Provenance of every registered figure (from figures/manifest.json)", source),
             "{\\footnotesize",
             f"\\begin{{longtable}}{{@{{}}{col}{{0.40\\linewidth}}r{col}{{0.22\\linewidth}}{col}{{0.18\\linewidth}}@{{}}}}",
             "\\caption{Provenance of every registered figure (\\texttt{figures/\\allowbreak{}manifest.json}): "
             "figure \\texttt{NAME} with seed \\texttt{S} is regenerated, with its data files, by "
             "\\texttt{rmtcheck figures -{}-only NAME -{}-seed S}; the last column gives the first digits of "
             "its PDF's SHA-256.}\\label{tab:figures}\\\\", "\\toprule",
             "Figure & seed & data (\\texttt{figures/}) & PDF SHA-256 \\\\", "\\midrule", "\\endfirsthead",
             "\\toprule", "Figure & seed & data (\\texttt{figures/}) & PDF SHA-256 \\\\", "\\midrule", "\\endhead",
             "\\bottomrule", "\\endfoot"]
    for name, info in figs.items():
        e = info["entry"] or {}
        seed = e.get("seed", 0)
        sha = _tt(info["pdfsha"][:12]) if info["pdfsha"] else "not generated"
        data = ", ".join(_tt(d, breaks=False) for d in sorted({d.rsplit(".", 1)[-1] for d in e.get("data", [])}))
        cmd = info["command"]
        std = cmd in (reproduce_command(name, seed=seed) if isinstance(seed, int) else "", reproduce_command(name))
        label = _tt(name) + ("" if std else f"\\newline {{\\scriptsize {_tt(cmd)}}}")
        lines.append(f"{label} & {seed if e else '--'} & {data or '--'} & {sha} \\\\")
    lines.append("\\end{longtable}}")
    return "\n".join(lines) + "\n"
