"""Leadership programmes: survey scales, and the evaluation of a programme by Kirkpatrick level.

Pure NumPy and SciPy over answers already read: the files (surveys, SCALE.yaml, DOMAINS.yaml,
cohorts) are read by ``files.programme`` and the outputs written by ``report.programme``.
"""

from stocktake.programmes.evaluation import (
    DOMAIN_SCORE_RULE,
    Domain,
    DomainResult,
    Evaluation,
    ItemSummary,
    Response,
    Survey,
    domain_scores,
    evaluate,
    summarise_items,
)
from stocktake.programmes.paired import (
    MIN_PAIRED,
    EffectSize,
    PairedComparison,
    PairedT,
    SignedRank,
    compare_paired,
    effect_size,
    paired_t,
    signed_rank,
)
from stocktake.programmes.scale import Level, Scale, map_answers, normalise

__all__ = [
    "DOMAIN_SCORE_RULE",
    "MIN_PAIRED",
    "Domain",
    "DomainResult",
    "EffectSize",
    "Evaluation",
    "ItemSummary",
    "Level",
    "PairedComparison",
    "PairedT",
    "Response",
    "Scale",
    "SignedRank",
    "Survey",
    "compare_paired",
    "domain_scores",
    "effect_size",
    "evaluate",
    "map_answers",
    "normalise",
    "paired_t",
    "signed_rank",
    "summarise_items",
]
