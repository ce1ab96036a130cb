"""Pure scoring functions: Numerai's metrics per era and their summaries.

The face of the package: other packages import these names from ``numerpilot.scoring``.
Names load on first use (PEP 562), so the face costs nothing until a metric is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.scoring.eras import Eras, FloatArray, tie_kept_rank_per_era
    from numerpilot.scoring.exposure import max_feature_exposure, neutralize, neutralize_per_era
    from numerpilot.scoring.metrics import correlation_contribution, numerai_corr, rank_correlation
    from numerpilot.scoring.scorecard import (
        ColumnScores,
        PayoutParams,
        References,
        StepProgress,
        score_columns,
    )
    from numerpilot.scoring.summary import drawdown, max_drawdown, sharpe, smart_sharpe, summarize

# Public name -> the module (in this package) that defines it.
_WHERE = {
    "Eras": "eras",
    "FloatArray": "eras",
    "tie_kept_rank_per_era": "eras",
    "max_feature_exposure": "exposure",
    "neutralize": "exposure",
    "neutralize_per_era": "exposure",
    "correlation_contribution": "metrics",
    "numerai_corr": "metrics",
    "rank_correlation": "metrics",
    "ColumnScores": "scorecard",
    "PayoutParams": "scorecard",
    "References": "scorecard",
    "StepProgress": "scorecard",
    "score_columns": "scorecard",
    "drawdown": "summary",
    "max_drawdown": "summary",
    "sharpe": "summary",
    "smart_sharpe": "summary",
    "summarize": "summary",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=False)


__all__ = [
    "ColumnScores",
    "Eras",
    "FloatArray",
    "PayoutParams",
    "References",
    "StepProgress",
    "correlation_contribution",
    "drawdown",
    "max_drawdown",
    "max_feature_exposure",
    "neutralize",
    "neutralize_per_era",
    "numerai_corr",
    "rank_correlation",
    "score_columns",
    "sharpe",
    "smart_sharpe",
    "summarize",
    "tie_kept_rank_per_era",
]
