"""Verify records for the paper: where the repository is, loading, completing and grouping records."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = [
    "GROUP_TITLES", "find_root", "verify_records", "load_records", "complete_records", "saved_results",
    "VERIFY_JSON_ENV",
]

#: Environment variable naming a saved ``rmtcheck verify --json`` output of the default run (each row's
#: default instances); ``.ci/run`` sets it so that tests needing whole groups of rows, and the paper, use
#: that one run instead of recomputing it.
VERIFY_JSON_ENV = "RMTCHECK_VERIFY_JSON"


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


_RECORD_KEYS = ("id", "source", "text", "tag", "notion", "sampling", "regime", "method", "claimed", "instances",
                "skipped", "violations", "verdict", "tightness_min", "tightness_median", "tightness_max",
                "first_violation", "threshold", "seed", "latex", "refs", "refutes", "error", "false_alarm", "fails_run")


NOT_RUN = "not run"


def find_root() -> Path | None:
    """The repository root (holding ``paper/main.tex``): the working directory or the package's parent."""
    for c in (Path.cwd(), Path(__file__).resolve().parents[1]):
        if (c / "paper" / "main.tex").is_file():
            return c
    return None


def _clean(rec: dict) -> dict:
    return {k: rec.get(k) for k in _RECORD_KEYS}


def verify_records(ids=None, seed: int = 0, instances: int | None = None) -> list[dict]:
    """Run ``rmtcheck verify`` (all statements, or ``ids``) and return JSON-able records without timings.

    Parameters
    ----------
    ids : iterable of str, optional
        Statement ids or group prefixes to run (default: all registered statements).
    seed : int
        Root seed of the instances.
    instances : int, optional
        Instances per statement (default: each statement's own default).

    Returns
    -------
    list of dict
        One record per statement, in registry order, with the verify record keys (no ``seconds``).

    Raises
    ------
    ValueError
        If ``ids`` names an unknown statement, or ``instances`` is below 1.
    """
    from rmtcheck._lib.threads import usable_cores
    from rmtcheck.verify import run_all

    # on every usable core, as `rmtcheck verify` (same verdicts for any number of workers)
    return [_clean(r.to_dict()) for r in run_all(ids, seed=seed, instances=instances, jobs=usable_cores())]


def load_records(path, with_source: bool = False):
    """Records from ``rmtcheck verify --json`` output or from ``paper/generated/verify-results.json``.

    With ``with_source=True`` return ``(records, source)``: the provenance string saved with
    ``verify-results.json`` (``None`` for raw ``verify --json`` output).

    Parameters
    ----------
    path : str or Path
        The JSON file: a list of records, or a dict with ``results`` (and ``source``).
    with_source : bool
        Also return the saved provenance string.

    Returns
    -------
    list of dict or tuple of (list of dict, str or None)
        The records reduced to the record keys; with ``with_source``, ``(records, source)``.

    Raises
    ------
    ValueError
        If the file cannot be read, is not JSON, or is not a list of records with ``id`` and
        ``verdict``.
    """
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
    """``records`` plus a ``not run`` record for every registered statement they lack (registry order).

    Parameters
    ----------
    records : list of dict
        Verify records (each with an ``id``).

    Returns
    -------
    list of dict
        One record per registered statement, in registry order (missing ones with verdict
        ``"not run"`` and zero counts), followed by the records of statements no longer registered.
        The ``source``, ``text``, ``latex``, ``refs`` and ``refutes`` of a registered statement are the
        registry's (saved results may predate them); verdicts, counts and instances are never changed.
    """
    from rmtcheck.verify import registry

    have = {r["id"]: r for r in records}
    out = []
    for sid, s in registry().items():
        if sid in have:
            rec = dict(have.pop(sid))
            # the statement's own words (source, text, rendering, citations, what a counterexample refutes) come
            # from the registry, so saved results older than them print the current ones; results never change
            for key, val in (("source", s.source), ("text", s.text), ("latex", getattr(s, "latex", None) or None),
                             ("refs", list(getattr(s, "refs", ()) or ())), ("refutes", getattr(s, "refutes", "") or "")):
                if val:
                    rec[key] = val
            out.append(rec)
        else:
            out.append({"id": sid, "source": s.source, "text": s.text, "tag": s.tag, "notion": s.notion,
                        "sampling": s.sampling, "regime": s.regime, "method": s.method, "claimed": s.claimed,
                        "instances": 0, "skipped": 0, "violations": 0, "verdict": NOT_RUN,
                        "tightness_min": None, "tightness_median": None, "tightness_max": None,
                        "first_violation": None, "threshold": None, "seed": None,
                        "latex": getattr(s, "latex", None) or None, "refs": list(getattr(s, "refs", ()) or ()),
                        "refutes": getattr(s, "refutes", "") or "", "error": None, "false_alarm": None,
                        "fails_run": False})
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
        "failsrun": sum(bool(r.get("fails_run")) for r in records),
    }


def saved_results(ids, seed: int = 0) -> list:
    """The verify results of the rows ``ids`` (ids or group prefixes) with their default instances: read from
    the file named by ``$RMTCHECK_VERIFY_JSON`` when it is set and holds every such row for ``seed``, computed
    with :func:`rmtcheck.verify.run_all` otherwise (the same numbers: instance ``k`` of a row depends only on
    the seed and the row id).

    Parameters
    ----------
    ids : list of str
        Statement ids or group prefixes.
    seed : int
        Root seed of the run.

    Returns
    -------
    list of StatementResult
        In registry order, as :func:`rmtcheck.verify.run_all` returns them.

    Raises
    ------
    ValueError
        If the variable names a file that is not ``rmtcheck verify --json`` output, or an id is unknown.
    """
    import dataclasses
    import os

    from rmtcheck.verify import registry, run_all
    from rmtcheck.verify.runner import StatementResult

    path = os.environ.get(VERIFY_JSON_ENV)
    if path:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{VERIFY_JSON_ENV}: cannot read {path!r} ({exc}); unset it or write it with "
                             "`rmtcheck verify --json > FILE`") from exc
        if isinstance(data, dict):
            data = data.get("results")
        if not isinstance(data, list):
            raise ValueError(f"{VERIFY_JSON_ENV}: {path!r} is not `rmtcheck verify --json` output")
        have = {r.get("id"): r for r in data if isinstance(r, dict) and r.get("seed") == seed}
        want = [k for k in registry() if any(k == i or k.startswith(i + ".") for i in ids)]
        if want and all(k in have for k in want):
            names = {f.name for f in dataclasses.fields(StatementResult)}
            return [StatementResult(**{k: v for k, v in have[sid].items() if k in names}) for sid in want]
    return run_all(ids, seed=seed)
