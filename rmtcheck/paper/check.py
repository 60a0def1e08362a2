"""Resolve every ``\\input``, ``\\includegraphics``, citation, macro key and ``\\ref`` of the paper without TeX."""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "check_paper", "check_log", "check_figures", "check_captions", "included_graphics",
]

#: overfull boxes up to this many points are tolerated (TeX reports hair-width excesses too)
OVERFULL_TOLERANCE_PT = 1.0
_FILE_OPEN = re.compile(r"\((\.{0,2}/[^\s()]+|[A-Za-z]:[^\s()]+|[^\s()/]+\.(?:tex|sty|cls|clo|cfg|def|fd|aux|out|bbl|toc))")
_OVERFULL = re.compile(r"^Overfull \\([hv])box \(([\d.]+)pt too (?:wide|high)\) (.*)$")
_UNDEF_REF = re.compile(r"LaTeX Warning: Reference `([^']+)' on page (\d+) undefined")
_UNDEF_CITE = re.compile(r"(?:LaTeX|Package natbib) Warning: Citation `([^']+)' on page (\d+) undefined")
_UNDEF_KEY = re.compile(r"Package rmtcheck Warning: undefined key (\S+)")
_FILE_LINE_ERROR = re.compile(r"^(\S+\.tex):(\d+): (.*)$")


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

    Parameters
    ----------
    paper_dir : str or Path
        The paper's directory (holding ``main`` and ``generated/``).
    main : str
        The root ``.tex`` file, relative to ``paper_dir``.

    Returns
    -------
    list of str
        One message per problem (``"FILE: ... does not resolve"`` and the like); empty when
        everything resolves. A missing ``main`` gives a single message.
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


def _log_files(line: str, stack: list[str]) -> None:
    """Follow TeX's ``(file`` ... ``)`` nesting on one log line (approximate: parentheses in messages
    are rare enough; the innermost open ``.tex`` file names where a box was set)."""
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "(":
            m = _FILE_OPEN.match(line, i)
            if m:
                stack.append(m.group(1))
                i = m.end()
                continue
            stack.append("")
        elif ch == ")" and stack:
            stack.pop()
        i += 1


def check_log(log_path, tolerance_pt: float = OVERFULL_TOLERANCE_PT) -> list[str]:
    """Problems of a LaTeX build found in its log: errors, undefined references and citations, undefined
    ``\\rmtstat``/``\\rmtgroup``/``\\rmtfig`` keys (printed as ``??``), overfull boxes beyond ``tolerance_pt``.

    The log is the last pdflatex pass's (latexmk reruns until references settle), so an undefined
    reference there is one the PDF prints as ``??``. Read it unwrapped when possible (``max_print_line``
    large, as :func:`~rmtcheck.paper.build.build_pdf` sets it).

    Parameters
    ----------
    log_path : str or Path
        ``main.log``.
    tolerance_pt : float
        Overfull boxes at most this wide (``\\hbox``) or high (``\\vbox``) are not reported.

    Returns
    -------
    list of str
        One line per problem: ``"main.log: LaTeX error in FILE:LINE: ..."``, ``"main.log: undefined
        reference 'fig:x' (page 3)"``, ``"main.log: undefined citation 'key' (page 2)"``,
        ``"main.log: overfull \\hbox 12.3pt in FILE (paragraph at lines 5--7): TEXT"``; empty when clean.
        A missing log gives one line.
    """
    log_path = Path(log_path)
    try:
        lines = log_path.read_text(encoding="latin-1").splitlines()
    except OSError:
        return [f"{log_path}: no LaTeX log (build the PDF first: rmtcheck paper)"]
    name, problems, stack, seen, in_box = log_path.name, [], [], set(), False
    for i, line in enumerate(lines):
        if in_box:  # the typeset material of an over/underfull box (its text's parentheses are no files)
            in_box = bool(line.strip())
            continue
        m = _FILE_LINE_ERROR.match(line)
        if m or line.startswith("! "):
            msg = f"{m.group(1)}:{m.group(2)}: {m.group(3)}" if m else line[2:]
            ctx = next((ln.strip() for ln in lines[i + 1:i + 4] if ln.startswith("l.")), "")
            problems.append(f"{name}: LaTeX error: {msg}" + (f" ({ctx})" if ctx else ""))
        for key in _UNDEF_KEY.findall(line):
            problems.append(f"{name}: undefined generated key {key} (printed as ??; regenerate the fragments)")
        for rx, what in ((_UNDEF_REF, "reference"), (_UNDEF_CITE, "citation")):
            for key, page in rx.findall(line):
                if (what, key) not in seen:
                    seen.add((what, key))
                    problems.append(f"{name}: undefined {what} {key!r} (page {page})")
        m = _OVERFULL.match(line)
        if m and float(m.group(2)) > tolerance_pt:
            where = next((f for f in reversed(stack) if f.endswith(".tex")), "?")
            text = lines[i + 1].strip() if i + 1 < len(lines) else ""
            problems.append(f"{name}: overfull \\{m.group(1)}box {float(m.group(2)):.1f}pt in {where} "
                            f"({m.group(3).strip()}): {text[:80]}")
        if re.match(r"(Over|Under)full \\[hv]box", line):
            in_box = True
        else:
            _log_files(line, stack)
    return problems


def included_graphics(paper_dir, main: str = "main.tex") -> list[Path]:
    """The files the paper's ``\\includegraphics`` commands resolve to (following ``\\input``), in order."""
    paper_dir = Path(paper_dir)
    out, seen = [], set()

    def visit(path: Path):
        if path.resolve() in seen or not path.is_file():
            return
        seen.add(path.resolve())
        text = _strip_comments(path.read_text(encoding="utf-8"))
        for m in re.finditer(r"\\(?:input|include)\{([^}]+)\}|\\includegraphics\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}", text):
            if m.group(1):
                visit(next((c for c in (paper_dir / m.group(1), paper_dir / (m.group(1) + ".tex")) if c.is_file()),
                           paper_dir / m.group(1)))
            else:
                t = m.group(2)
                hit = next((c for c in [paper_dir / t] + [paper_dir / (t + e) for e in (".pdf", ".png", ".jpg")]
                            if c.is_file()), None)
                if hit is not None and hit.resolve() not in {p.resolve() for p in out}:
                    out.append(hit)

    visit(paper_dir / main)
    return out


def check_figures(paper_dir, main: str = "main.tex") -> list[str]:
    """Every PDF figure the paper includes, checked against the print rules
    (:func:`rmtcheck.plotting.printed.check_printed`: 3.25 in or 6.5 in wide, fonts in [7, 10] pt).

    Parameters
    ----------
    paper_dir : str or Path
        The paper's directory.
    main : str
        The root ``.tex`` file.

    Returns
    -------
    list of str
        ``"figures/NAME.pdf: PROBLEM"``, one line per problem; empty when every figure keeps the rules.
    """
    from rmtcheck.plotting.printed import check_printed

    paper_dir = Path(paper_dir)
    problems = []
    for path in included_graphics(paper_dir, main):
        if path.suffix.lower() != ".pdf":
            continue
        try:
            found = check_printed(path)
        except ValueError as exc:
            found = [str(exc)]
        rel = os.path.relpath(path, paper_dir.parent)
        problems += [f"{Path(rel).as_posix()}: {p}" for p in found]
    return problems


def check_captions(figs=None) -> list[str]:
    """Figure docstrings (the captions) that hold a control character: in a docstring that is not raw,
    ``$\\tau$``, ``$\\rho$``, ``$\\beta$``, ``$\\frac$`` or ``$\\varepsilon$`` lose their backslash to a tab, carriage
    return, backspace, form feed or vertical tab, which the caption then prints as a space.

    Parameters
    ----------
    figs : dict of str to callable, optional
        Figure functions by name (default: every registered figure, :func:`rmtcheck.plotting.catalog.figures`).

    Returns
    -------
    list of str
        ``"figure NAME: its docstring holds ..."``, one line per figure; empty when none does.
    """
    if figs is None:
        from rmtcheck.plotting.catalog import figures

        figs = figures()
    names = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    problems = []
    for name, fn in figs.items():
        found = sorted({names[c] for c in (getattr(fn, "__doc__", None) or "") if c in names})
        if found:
            problems.append(f"figure {name}: its docstring holds {', '.join(found)} (a backslash of $...$ read as an "
                            "escape): make it a raw string (r\"\"\"...\"\"\")")
    return problems
