"""The sweep-store summary fragment (``sweeps.tex``)."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path

from rmtcheck.paper.records import find_root
from rmtcheck.paper.tex import _header, _num, _tt, tex_escape


def _sweep_store_path(store):
    if store is not None:
        return Path(store)
    try:
        from rmtcheck.sweep._store import default_store_path
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
    """The sweep summary fragment and its numbers ``{"sweeps": plans, "cells": finished cells}`` (read-only access
    to the SQLite store); without a readable, non-empty store the fragment is only comments (no prose)."""
    head = _header("Sweep summary (from the rmtcheck.sweep results store)", source)
    path = _sweep_store_path(store)
    # no store: no prose in the paper (main.tex decides with \ifrmtHaveSweeps), only a comment saying where we looked
    missing = head + f"% No sweep results store was found (looked for {path.as_posix()}); \\ifrmtHaveSweeps is false.\n"
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
        return head + f"% The sweep store {path.as_posix()} could not be read ({exc}); \\ifrmtHaveSweeps is false.\n", {}
    n_cells = sum(len(v) for v in results.values())
    lines = [head]
    if not plans and not results:
        lines.append("% The sweep store is empty; \\ifrmtHaveSweeps is false.")
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
