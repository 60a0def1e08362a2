"""The paper generator: fragments of ``paper/`` and the README's generated blocks, from one verify run.

* :mod:`.records` — verify records: :func:`verify_records`, :func:`load_records`, :func:`complete_records`;
* :mod:`.tex` — deterministic TeX/Markdown formatting (:func:`tex_escape`, :func:`tex_caption`);
* :mod:`.fragments` — :func:`build_fragments` (``paper/generated/*.tex``);
* :mod:`.sweeps` — the sweep-store summary fragment;
* :mod:`.check` — :func:`check_paper` resolves every reference of the paper without TeX; :func:`check_log`
  reads a build's ``main.log`` (errors, undefined references and citations, overfull boxes above 1 pt);
  :func:`check_figures` applies the figures' print rules to every included figure PDF;
* :mod:`.readme` — :func:`readme_blocks`, :func:`update_readme`;
* :mod:`.build` — :func:`build_pdf` with latexmk, :data:`TEX_INSTALL_HINT`.

Single source of truth: every number in ``paper/main.tex`` and in the README's tables comes from one
``rmtcheck verify`` run (or its saved ``--json`` output), the figure manifest and the sweep store.
"""

from rmtcheck._lib.lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, {
    "records": ["GROUP_TITLES", "find_root", "verify_records", "load_records", "complete_records", "saved_results",
                "VERIFY_JSON_ENV"],
    "tex": ["tex_escape", "tex_caption"],
    "fragments": ["FIGURE_FIELDS", "STAT_FIELDS", "build_fragments"],
    "check": ["check_paper", "check_log", "check_figures", "check_captions", "included_graphics"],
    "readme": ["README_BLOCKS", "readme_blocks", "update_readme"],
    "build": ["build_pdf", "tex_available", "TEX_INSTALL_HINT"],
})
