"""The autopilot: the worker loop, one round step per model, manual uploads through the same
ledger path, retraining and research cadence, scores and stake decisions, notifications, and
the ledger (the only code touching the state database).

Every name here is imported on first use (PEP 562): ``numerpilot.agent`` costs nothing to
import, and ``from numerpilot.agent import Ledger`` loads SQLAlchemy but not numerapi."""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.agent._pass_report import PassReport
    from numerpilot.agent._policy import StakeDecision
    from numerpilot.agent._retrain import adopt
    from numerpilot.agent._step_context import PICKLE_EVENT
    from numerpilot.agent.dashboard import EMPTY_MESSAGE, StatusResult, load_dashboard, status
    from numerpilot.agent.ledger import Ledger
    from numerpilot.agent.ledger_research import ResearchLedger
    from numerpilot.agent.manual import record_model_upload, submit_by_hand
    from numerpilot.agent.notify import Notifier, notifier_from_settings
    from numerpilot.agent.research_step import promote_winner
    from numerpilot.agent.services import TournamentServices
    from numerpilot.agent.worker import Worker

# Each name, and the module that defines it.
_WHERE = {
    "EMPTY_MESSAGE": "dashboard",
    "Ledger": "ledger",
    "Notifier": "notify",
    "PICKLE_EVENT": "_step_context",
    "PassReport": "_pass_report",
    "ResearchLedger": "ledger_research",
    "StakeDecision": "_policy",
    "StatusResult": "dashboard",
    "TournamentServices": "services",
    "Worker": "worker",
    "adopt": "_retrain",
    "load_dashboard": "dashboard",
    "notifier_from_settings": "notify",
    "promote_winner": "research_step",
    "record_model_upload": "manual",
    "status": "dashboard",
    "submit_by_hand": "manual",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=True)


__all__ = [
    "EMPTY_MESSAGE",
    "PICKLE_EVENT",
    "Ledger",
    "Notifier",
    "PassReport",
    "ResearchLedger",
    "StakeDecision",
    "StatusResult",
    "TournamentServices",
    "Worker",
    "adopt",
    "load_dashboard",
    "notifier_from_settings",
    "promote_winner",
    "record_model_upload",
    "status",
    "submit_by_hand",
]
