"""The README's generated blocks (figure gallery and statement table)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from rmtcheck.paper._figures import _figures_info
from rmtcheck.paper.records import GROUP_TITLES, _clean, _counts, _group, _groups, complete_records
from rmtcheck.paper.tex import _md_num

__all__ = [
    "readme_blocks", "update_readme",
]


README_BLOCKS = ("gallery", "statements")
#: pixels of the README's image width per inch printed (6.5 in -> 800 px, GitHub's text column)
_PX_PER_IN = 800 / 6.5
#: figures at most this wide (printed width in inches, from the PDF) are one-column figures, set two to a row
_COLUMN_MAX_IN = 3.3


def _gallery_px(width_in) -> int:
    """Display width of a figure in the README: its printed width at the paper's scale (at most 800 px;
    400 px when the width is unknown)."""
    return 400 if width_in is None else int(round(min(width_in * _PX_PER_IN, 800)))


def _first_sentence(text: str, min_len: int = 40) -> str:
    """The first sentence of a caption (a period followed by a space outside ``$...$`` mathematics, after at
    least ``min_len`` characters); the whole text when it has one sentence. ``$...$`` is kept (GitHub renders it)."""
    math = False
    for i, ch in enumerate(text):
        if ch == "$" and (i == 0 or text[i - 1] != "\\"):
            math = not math
        elif ch == "." and not math and i >= min_len and text[i + 1:i + 2] == " ":
            return text[:i + 1]
    return text


def readme_blocks(records, figures_dir, readme_dir=None, complete: bool = True) -> dict[str, str]:
    """Markdown of the README's generated blocks: ``gallery`` and ``statements``.

    Parameters
    ----------
    records : list of dict
        Verify records for the statement table.
    figures_dir : str or Path
        The figures directory (its ``manifest.json`` and PNGs feed the gallery).
    readme_dir : str or Path, optional
        The README's directory, for relative image links (default: the parent of ``figures_dir``).
    complete : bool
        Add ``not run`` rows for registered statements missing from ``records``
        (see :func:`~rmtcheck.paper.records.complete_records`).

    Returns
    -------
    dict of str to str
        ``{"gallery": markdown, "statements": markdown}``, ready for :func:`update_readme`.
    """
    figures_dir = Path(figures_dir)
    readme_dir = figures_dir.parent if readme_dir is None else Path(readme_dir)
    records = complete_records([_clean(r) for r in records]) if complete else [_clean(r) for r in records]
    figs = _figures_info(figures_dir)
    rel = Path(os.path.relpath(figures_dir, readme_dir)).as_posix()
    g = ["## Gallery", "",
         "Each figure is regenerated, with the data behind it (`.npz`, `.csv`) and its entry in "
         f"`{rel}/manifest.json`, by the command under it; `rmtcheck figures` makes them all "
         "(`--quick` for small grids). They are shown at the scale of the paper (`paper/`), which prints them "
         "at their natural size (3.25 in or 6.5 in wide) with their full captions; here each has the caption's "
         "first sentence.", ""]
    pending: list[tuple[str, str, str]] = []  # one-column figures (image, caption, command), set two to a row

    def flush():
        if len(pending) == 1:  # a lone one-column figure: no table
            img, cap, cmd = pending[0]
            g.extend([img, "", f"{cap} `{cmd}`", ""])
        elif pending:
            cells = [f"{img}<br>{cap.replace('|', chr(92) + '|')}<br>`{cmd}`" for img, cap, cmd in pending]
            g.extend(["| | |", "|---|---|"] + [f"| {a} | {b} |" for a, b in zip(cells[::2], (cells + [" "])[1::2])]
                     + [""])
        pending.clear()

    for name, info in figs.items():
        png = figures_dir / f"{name}.png"
        px = _gallery_px(info["pdf_width_in"])
        cap = f"**{name}**: {_first_sentence(info['description'])}"
        img = (f'<img src="{rel}/{name}.png" width="{px}" alt="{name}">' if png.is_file() else "*(not generated yet)*")
        if png.is_file() and info["pdf_width_in"] is not None and info["pdf_width_in"] <= _COLUMN_MAX_IN:
            pending.append((img, cap, info["command"]))
            continue
        flush()
        g += [img, "", f"{cap} `{info['command']}`", ""]
    flush()
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
    Text outside the blocks is never changed. Returns whether the file changed.

    Parameters
    ----------
    path : str or Path
        The README file (rewritten in place, UTF-8, LF line endings, only when it changes).
    blocks : dict of str to str
        Block name to its Markdown body (e.g. from :func:`readme_blocks`).
    before : str
        Heading line before which missing blocks are inserted (falsy: always append at the end).

    Returns
    -------
    bool
        Whether the file changed (and was written).
    """
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
