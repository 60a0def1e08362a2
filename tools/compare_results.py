"""Show that a change left every result alone: ``rmtcheck verify --json`` records and every figure's bytes.

Usage::

    python tools/compare_results.py --ref REV            # snapshot REV and the working tree, then compare
    python tools/compare_results.py --ref REV --keep DIR # ... keeping both snapshots in DIR
    python tools/compare_results.py snapshot DIR         # snapshot the working tree into DIR
    python tools/compare_results.py compare DIR_A DIR_B  # compare two snapshots

A snapshot is ``verify.json`` (``rmtcheck verify --json`` at seed 0, the ``seconds`` field dropped) and
``figures/`` (``rmtcheck figures`` on its defaults: PNG, PDF, NPZ and CSV of every figure). REV is
exported with ``git archive`` into a temporary folder and run from there (``PYTHONPATH``), so the
installed package is not touched. The figure manifest is compared less its ``module`` fields (which name
where a figure function lives); record fields in :data:`METADATA` (citations) are reported apart. Exit status 0 when everything is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Record fields that cite rather than compute: a change there is reported as a note, not a difference.
METADATA = {"source", "text", "refs"}


def _env(src: Path) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = str(src) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def snapshot(src: Path, out: Path) -> None:
    """Run verify and figures from the checkout ``src`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    env = _env(src)
    print(f"[{src}] rmtcheck verify --json ...", file=sys.stderr, flush=True)
    res = subprocess.run([sys.executable, "-m", "rmtcheck", "verify", "--json"], cwd=out, env=env,
                         capture_output=True, text=True)
    if res.returncode not in (0, 1):
        sys.exit(f"verify failed in {src}:\n{res.stderr[-4000:]}")
    records = json.loads(res.stdout)
    for r in records:
        r.pop("seconds", None)
    (out / "verify.json").write_text(json.dumps(records, indent=1, sort_keys=True) + "\n")
    print(f"[{src}] rmtcheck figures ...", file=sys.stderr, flush=True)
    res = subprocess.run([sys.executable, "-m", "rmtcheck", "figures", "--out", str(out / "figures"),
                          "--no-progress"], cwd=out, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"figures failed in {src}:\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(path: Path) -> dict:
    data = json.loads(path.read_text())
    for entry in data.get("figures", {}).values():
        entry.pop("module", None)
    return data


def compare(a: Path, b: Path) -> int:
    bad = 0
    ra, rb = json.loads((a / "verify.json").read_text()), json.loads((b / "verify.json").read_text())
    ia, ib = {r["id"]: r for r in ra}, {r["id"]: r for r in rb}
    meta_only = 0
    for sid in sorted(set(ia) | set(ib)):
        if ia.get(sid) != ib.get(sid):
            keys = sorted(k for k in set(ia.get(sid, {})) | set(ib.get(sid, {}))
                          if ia.get(sid, {}).get(k) != ib.get(sid, {}).get(k))
            if sid in ia and sid in ib and set(keys) <= METADATA:
                meta_only += 1  # citation wording or the refs field, not a result
                continue
            bad += 1
            print(f"verify record differs: {sid} (fields: {', '.join(keys) or 'missing'})")
    if meta_only:
        print(f"note: {meta_only} records differ only in citation metadata ({', '.join(sorted(METADATA))})")
    if [r["id"] for r in ra] != [r["id"] for r in rb] and set(ia) == set(ib):
        groups = lambda rs: list(dict.fromkeys(r["id"].split(".")[0] for r in rs))  # noqa: E731
        print(f"note: the same records in another order (groups {groups(ra)} -> {groups(rb)}): presentation only")
    fa, fb = a / "figures", b / "figures"
    names = sorted({p.name for p in fa.iterdir()} | {p.name for p in fb.iterdir()})
    for name in names:
        pa, pb = fa / name, fb / name
        if not (pa.exists() and pb.exists()):
            bad += 1
            print(f"figure file only on one side: {name}")
        elif name == "manifest.json":
            if _manifest(pa) != _manifest(pb):
                bad += 1
                print("figure manifest differs (less module fields)")
        elif _digest(pa) != _digest(pb):
            bad += 1
            print(f"figure file differs: {name}")
    n_files = len(names)
    print(f"{len(ia)} verify records, {n_files} figure files: "
          + ("identical" if not bad else f"{bad} differences"))
    return 1 if bad else 0


def export(rev: str, dest: Path) -> Path:
    """``git archive REV`` into ``dest``; the SymPy proofs are placed where the package imports them."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    if (dest / "proofs").is_dir() and not (dest / "rmtcheck" / "proofs").exists():
        shutil.copytree(dest / "proofs", dest / "rmtcheck" / "proofs")
    return dest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", nargs="?", choices=("snapshot", "compare"))
    p.add_argument("paths", nargs="*")
    p.add_argument("--ref", help="git revision to compare the working tree with")
    p.add_argument("--keep", help="keep the snapshots in this folder")
    args = p.parse_args(argv)
    if args.mode == "snapshot":
        snapshot(ROOT, Path(args.paths[0]).resolve())
        return 0
    if args.mode == "compare":
        return compare(Path(args.paths[0]), Path(args.paths[1]))
    if not args.ref:
        p.error("give --ref REV, or a mode")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep).resolve() if args.keep else Path(tmp)
        old = export(args.ref, Path(tmp) / "src")
        snapshot(old, work / "before")
        snapshot(ROOT, work / "after")
        return compare(work / "before", work / "after")


if __name__ == "__main__":
    sys.exit(main())
