"""``rmtcheck paper``: regenerate the verification paper's fragments (and README blocks), build the PDF.

One ``rmtcheck verify`` run (or ``--from-json FILE``, e.g. a saved ``rmtcheck verify --json`` or
``paper/generated/verify-results.json``) feeds every table and number of ``paper/main.tex`` through
``paper/generated/*.tex``; figures come from ``figures/`` and its manifest (``--figures`` regenerates
them first). The PDF is built with latexmk when a TeX installation is present; otherwise the command
says how to install one and exits 3 after writing the fragments.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def add_parser(sub):
    p = sub.add_parser(
        "paper",
        help="regenerate paper/generated/*.tex from verify + figures + sweeps and build paper/main.pdf",
        description="Regenerate the LaTeX fragments of the verification paper (tables, numbers as macros, "
        "figure environments, sweep summary) from one `rmtcheck verify` run, optionally the README's generated "
        "blocks, and build the PDF with latexmk when TeX is installed (exit 3 with install instructions if not).",
    )
    p.add_argument("--fragments-only", action="store_true", help="write the fragments, do not run LaTeX")
    p.add_argument("--quick", action="store_true",
                   help="2 instances per statement (and quick figures with --figures); the paper says so")
    p.add_argument("--readme", action="store_true", help="also rewrite the README's generated blocks "
                   "(gallery, statements)")
    p.add_argument("--from-json", metavar="FILE", help="use saved `rmtcheck verify --json` output instead of running verify")
    p.add_argument("--only", action="append", metavar="ID", help="verify only these ids/groups (others: 'not run')")
    p.add_argument("--seed", type=int, default=0, help="root seed of the verify run (default 0)")
    p.add_argument("--instances", type=int, default=None, help="instances per statement (default: each row's own)")
    p.add_argument("--figures", action="store_true", help="regenerate all figures first (slow; --quick for small grids)")
    p.add_argument("--check", action="store_true", help="only check the paper (no verify, no LaTeX run): every "
                   "\\input, \\includegraphics, macro key, \\cite and \\ref resolves, every included figure PDF keeps "
                   "the print rules (3.25 or 6.5 in wide, fonts 7-10 pt), and the last build's main.log (when there "
                   "is one) has no LaTeX error, undefined reference or citation, or overfull box above 1 pt; "
                   "one line per problem, exit 1 on any (the PDF build runs the same checks)")
    p.add_argument("--paper-dir", default=None, help="directory of main.tex (default: paper/ of the repository)")
    p.add_argument("--figures-dir", default=None, help="figures directory (default: figures/ beside paper/)")
    p.add_argument("--sweeps", default=None, metavar="STORE", help="sweep SQLite store (default: $RMTCHECK_STORE or "
                   "./rmtcheck-sweeps.sqlite when present)")
    p.add_argument("--readme-path", default=None, help=argparse.SUPPRESS)
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress on stderr (one line per stage: figures, verify run, each fragment, README, "
                        "LaTeX build; errors still appear)")
    p.set_defaults(func=run)


def _dirs(args):
    from rmtcheck.paper.records import find_root

    if args.paper_dir:
        paper = Path(args.paper_dir)
    else:
        root = find_root()
        if root is None:
            raise ValueError("paper-dir: no paper/main.tex in the working directory or beside the package; "
                             "run from the repository root or pass --paper-dir")
        paper = root / "paper"
    if not (paper / "main.tex").is_file():
        raise ValueError(f"paper-dir: {str(paper)!r} has no main.tex")
    figs = Path(args.figures_dir) if args.figures_dir else paper.parent / "figures"
    return paper, figs


def run(args) -> int:
    from rmtcheck import paper as P

    paper, figs = _dirs(args)
    if args.check:
        problems = P.check_paper(paper) + P.check_figures(paper) + P.check_captions()
        log = paper / "main.log"
        if log.is_file():
            problems += P.check_log(log)
            newer = [q for q in [paper / "main.tex", paper / "references.bib", *sorted((paper / "generated").glob("*.tex"))]
                     if q.is_file() and q.stat().st_mtime > log.stat().st_mtime]
            if newer:
                problems.append(f"{log.name}: older than {newer[0].relative_to(paper).as_posix()}"
                                + (f" and {len(newer) - 1} other source(s)" if len(newer) > 1 else "")
                                + ": rebuild the PDF (rmtcheck paper) before checking its log")
        else:
            print(f"paper: no {log} yet; LaTeX log checks skipped (build the PDF first)")
        for pr in problems:
            print(pr)
        print(f"{len(problems)} problem(s) in {paper / 'main.tex'}" if problems else
              "paper: every reference resolves, every figure keeps the print rules"
              + (", the LaTeX log is clean" if log.is_file() else ""))
        return 1 if problems else 0
    if args.instances is not None and args.instances < 1:
        raise ValueError(f"instances must be >= 1; got {args.instances}")
    from rmtcheck._lib.progress import Progress

    with Progress("rmtcheck paper", quiet=args.quiet) as prog:
        return _build(args, P, paper, figs, prog)


def _build(args, P, paper: Path, figs: Path, prog) -> int:
    """Figures (optional), verify records, fragments, README, checks, PDF; one progress stage each."""
    t0 = time.perf_counter()
    if args.figures:
        from rmtcheck.plotting.manifest import generate

        prog.stage(f"figures into {figs}")
        prog.flush()  # the figure bar follows this line
        runs = generate(None, figs, quick=args.quick, seed=args.seed, progress=not args.quiet)
        bad = [r.name for r in runs if r.error]
        if bad:
            print(f"figures failed: {', '.join(bad)} (placeholders in the paper)", file=sys.stderr)
    instances = args.instances if args.instances is not None else (2 if args.quick else None)
    if args.from_json:
        prog.stage(f"verify records from {args.from_json}")
        records, saved = P.load_records(args.from_json, with_source=True)
        source = saved or f"saved verify results ({Path(args.from_json).name})"
        note = ""
    else:
        which = ", ".join(args.only) if args.only else "every statement"
        prog.stage(f"verify run ({which}, seed {args.seed}" + (f", {instances} instances" if instances else "") + ")")
        records = P.verify_records(args.only, seed=args.seed, instances=instances)
        source = f"rmtcheck verify --seed {args.seed}" + (f" --instances {instances}" if instances else "")
        note = (f"These results come from a quick run ({instances} instances per statement)." if args.quick else "")
    written = P.build_fragments(records, paper, figs, sweep_store=args.sweeps, source=source, note=note,
                                progress=lambda name: prog.stage(f"fragment {name}"))
    n_tex = sum(1 for k in written if k.endswith(".tex"))
    print(f"fragments: {n_tex} .tex files + verify-results.json in {paper / 'generated'} "
          f"({time.perf_counter() - t0:.1f} s)")
    if args.readme:
        readme = Path(args.readme_path) if args.readme_path else paper.parent / "README.md"
        prog.stage(f"README blocks ({readme})")
        changed = P.update_readme(readme, P.readme_blocks(records, figs, readme.parent))
        print(f"README: generated blocks {'updated' if changed else 'unchanged'} ({readme})")
    prog.stage("checking the paper's references")
    problems = P.check_paper(paper)
    prog.flush()  # stage lines before the problems / the TeX hint
    for pr in problems:
        print(f"paper: {pr}", file=sys.stderr)
    if problems:
        return 1
    if args.fragments_only:
        return 0
    prog.stage("LaTeX build (latexmk)")
    prog.flush()
    status = P.build_pdf(paper)
    if status == 3:  # no TeX: the hint is printed
        return status
    prog.stage("checking the LaTeX log and the figures")
    prog.flush()
    problems = P.check_log(paper / "main.log") + P.check_figures(paper) + P.check_captions()
    for pr in problems:
        print(f"paper: {pr}", file=sys.stderr)
    if status == 0:
        print(f"PDF: {paper / 'main.pdf'}" + (f" ({len(problems)} problem(s) above)" if problems else
                                             " (no LaTeX error, undefined reference or overfull box; figures keep "
                                             "the print rules)"))
    return status if status != 0 else (1 if problems else 0)
