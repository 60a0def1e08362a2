"""Why descent–ascent fails to forget: logistic regression, exactly.

Mavrothalassitis, Puigdemont, Levi, Cevher, "Ascent Fails to Forget" (NeurIPS 2025,
arXiv 2509.26427) [mavrothalassitis2025]; lemma numbers below are the paper's. The proofs of the closed
forms are re-derived in ``proofs/ascent_*.py``.

* :mod:`._objectives` — :math:`L_D, L_R, L_{DA}` and alternating DA on any data matrix, exponential
  or logistic loss, ridge and forget weight; vectorised gradient trajectories where running off to
  infinity is an outcome.
* :mod:`._block` — the block-orthogonal model: explicit design, per-coordinate reduction, Lambert-W
  closed forms with branch cases (Lemmas 2–5, Corollary 1, first-step direction).
* :mod:`._correlated` — two correlated coordinates (Lemmas 6 and 9, unbounded direction).
* :mod:`._toy` — the non-convex toy with selectable loss form.
* :mod:`._random` — Lemma 1 (Hoeffding) and random vs structured forget sets.
* :mod:`._metrics` — distance to the oracle, accuracies/losses, KLoM.
* :mod:`.experiments` — the data behind the figures; :mod:`.statements` — the ``ascent.*`` rows;
  :mod:`.figures` — ``ascent-*``.
"""

from rmtcheck.studies.ascent._block import (
    DA_CASES,
    BlockSolution,
    alternating_coordinate_step,
    block_coefficients,
    block_count_coefficients,
    block_design,
    block_problem,
    block_solution,
    block_solution_counts,
    coordinate_gd,
    lambert_stationary,
    lemma3_range,
)
from rmtcheck.studies.ascent._correlated import (
    CORRELATED_STATUS,
    CorrelatedSolution,
    correlated_case,
    correlated_coefficients,
    correlated_grad,
    correlated_hessian,
    correlated_value,
    da_along_direction,
    lemma9_alpha,
    oracle_margins,
    solve_convex,
    solve_da,
)
from rmtcheck.studies.ascent._metrics import (
    accuracy_and_loss,
    distance_to_oracle,
    klom,
    klom_per_point,
    margins_from_logits,
)
from rmtcheck.studies.ascent._objectives import (
    EXP_CLIP,
    KINDS,
    LOSSES,
    AscentProblem,
    Trajectory,
    alternating_da,
    gradient_descent,
    newton_minimize,
    safe_exp,
)
from rmtcheck.studies.ascent._random import (
    hoeffding_bound,
    hoeffding_experiment,
    random_forget_block,
    random_forget_counts,
)
from rmtcheck.studies.ascent._toy import (
    TOY_COUNTS,
    TOY_DEFAULT,
    TOY_FORGET,
    TOY_VARIANTS,
    TOY_X,
    TOY_Y,
    ToyLoss,
    toy_claim,
    toy_finetune,
    toy_loss,
    toy_misclassified,
    toy_multistart,
    toy_predict,
)

__all__ = [
    "DA_CASES", "BlockSolution", "alternating_coordinate_step", "block_coefficients",
    "block_count_coefficients", "block_design", "block_problem", "block_solution", "block_solution_counts",
    "coordinate_gd", "lambert_stationary", "lemma3_range",
    "CORRELATED_STATUS", "CorrelatedSolution", "correlated_case", "correlated_coefficients", "correlated_grad",
    "correlated_hessian", "correlated_value", "da_along_direction", "lemma9_alpha", "oracle_margins",
    "solve_convex", "solve_da",
    "accuracy_and_loss", "distance_to_oracle", "klom", "klom_per_point", "margins_from_logits",
    "EXP_CLIP", "KINDS", "LOSSES", "AscentProblem", "Trajectory", "alternating_da", "gradient_descent",
    "newton_minimize", "safe_exp",
    "hoeffding_bound", "hoeffding_experiment", "random_forget_block", "random_forget_counts",
    "TOY_COUNTS", "TOY_DEFAULT", "TOY_FORGET", "TOY_VARIANTS", "TOY_X", "TOY_Y", "ToyLoss", "toy_claim",
    "toy_finetune", "toy_loss", "toy_misclassified", "toy_multistart", "toy_predict",
]
