"""The ``cnn.membership_audit`` row: does descent–ascent unlearning hide the forget set from a membership attack?

A probe (``claimed=False``): the loss-threshold membership-inference AUC of the forget points against held-out
points, measured before unlearning, after descent–ascent and for the network retrained without the forget set
(:mod:`rmtcheck.studies.cnn.membership`); the row reports whether unlearning moved the AUC towards the retrained
network's (paired 95 % t-interval over 5 seeds), never asserts it. Tiny networks (``n = 16``, ``d = 40``,
``m = 4``, as the other ``cnn.*`` rows) so the row runs in seconds. Imported by
:mod:`rmtcheck.studies.cnn.statements`, which registers the study's rows.
"""

from __future__ import annotations

import functools

from rmtcheck.studies.cnn.membership import MIN_SEEDS, membership_audit
from rmtcheck.verify.statement import Outcome, Statement, register, scope

__all__ = ["MEMBERSHIP_CELL"]

#: The audited cell: tiny CNN, SNR 0.3, B = 1, alpha = 0.2, 100 steps at half the retain critical step.
MEMBERSHIP_CELL = dict(snr=0.3, batch=1, alpha=0.2, n=16, d=40, width=4, n_test=40, n_forget=6, steps=100)


@functools.lru_cache(maxsize=8)
def _audit(seed: int) -> dict:
    return membership_audit(n_seeds=MIN_SEEDS, seed=seed, **MEMBERSHIP_CELL)


def _membership_check(inst, rng):
    a = _audit(inst["seed"])
    s = a["summary"]
    m, lo, hi = a["difference"]
    return Outcome(violated=a["verdict"] != "closer", tightness=None,
                   detail={"verdict": a["verdict"], "gap_difference": [m, lo, hi],
                           **{k: list(v) for k, v in s.items()}, "n_seeds": a["n_seeds"],
                           "blew_up": [r["blew_up"] for r in a["runs"]]})


register(Statement(
    id="cnn.membership_audit",
    source="the membership-inference evaluation of Partohaghighi et al. 2026 applied to the descent-ascent unlearning "
           "of the CNN of Chang & Khanna 2026",
    refs=("changkhanna2026", "partohaghighi2026"),
    latex=(r"After descent--ascent unlearning, the loss-threshold membership-inference AUC of the forget points "
           r"against held-out points is closer to that of the network retrained without them than before unlearning:"
           r" the paired $95\%$ $t$-interval of $\lvert\mathrm{AUC}_{\mathrm{after}} - "
           r"\mathrm{AUC}_{\mathrm{retrained}}\rvert - \lvert\mathrm{AUC}_{\mathrm{before}} - "
           r"\mathrm{AUC}_{\mathrm{retrained}}\rvert$ over $5$ seeds lies below $0$; the detail gives the three AUCs"
           r" and both gaps with their intervals."),
    text="after descent-ascent unlearning, the loss-threshold membership-inference AUC of the forget points against "
         "held-out points is closer to that of the network retrained without them than before unlearning (paired "
         "95% t-interval of |AUC_after - AUC_retrained| - |AUC_before - AUC_retrained| over 5 seeds below 0); "
         "detail gives the three AUCs and both gaps with their intervals",
    notion="in-probability", sampling="without_replacement",
    regime="tiny CNN (n=16, d=40, m=4, 6 forget points, 40 held-out), SNR 0.3, B=1, alpha=0.2, "
           "eta = 0.5 eta*_retain(B=1), 100 steps",
    method="statistical", sample=lambda rng: {"seed": int(rng.integers(2**31))}, check=_membership_check,
    claimed=False, tag="reconstructed", default_instances=2,
))


scope({
    "cnn.membership_audit": "Refutes, for one tiny CNN cell, that descent-ascent brings the membership AUC closer to "
    "the retrained network's; a target of unlearning, not a statement of either source.",
})
