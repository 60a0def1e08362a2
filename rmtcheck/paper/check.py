"""Resolve every ``\\input``, ``\\includegraphics``, citation, macro key and ``\\ref`` of the paper without TeX."""

from __future__ import annotations

import re
from pathlib import Path

__all__ = [
    "check_paper",
]


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
