"""What one pass of the worker did, and what that means for ``run --once``'s exit code and
its JSON document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from numerpilot.agent._step_context import UNFINISHED, Outcome
from numerpilot.errors import ExitCode
from numerpilot.tournament import RoundInfo


@dataclass
class PassReport:
    """What one pass did and when it wants the next."""

    at: datetime
    round: RoundInfo | None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    next_pass: datetime | None = None
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def exit_code(self) -> ExitCode:
        """For ``run --once``: 0 when nothing is left to do this round."""
        if any(o is Outcome.REJECTED for o in self.outcomes.values()):
            return ExitCode.REJECTED
        if any(o in UNFINISHED for o in self.outcomes.values()):
            return ExitCode.TRANSIENT
        if self.errors:
            return ExitCode.TOURNAMENT
        return ExitCode.OK

    def as_dict(self) -> dict[str, object]:
        return {
            "at": self.at,
            "round": None if self.round is None else self.round.number,
            "round_open": None if self.round is None else self.round.is_open(self.at),
            "outcomes": {k: v.value for k, v in self.outcomes.items()},
            "next_pass": self.next_pass,
            "errors": self.errors,
            "notes": self.notes,
            "exit_code": int(self.exit_code()),
        }


__all__ = ["PassReport"]
