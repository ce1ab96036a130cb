"""Notifications: tell a person when something needs attention, without ever stopping the worker.

A ``Notifier`` sends each notification to its sinks: a JSON-lines log file, and a webhook that
receives one JSON document per POST. A sink that fails (disk full, webhook down or slow) is
logged and skipped; nothing is raised into the worker. Messages are redacted of the
credentials' secrets, and the webhook URL (which often carries a token itself) is never logged
beyond its host.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from numerpilot.clock import Clock, utc
from numerpilot.config import Settings
from numerpilot.credentials import redact

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5.0


class Kind(StrEnum):
    MISSED_ROUND = "missed_round"
    SUBMISSION_REJECTED = "submission_rejected"
    RETRAIN_FAILED = "retrain_failed"
    DRAWDOWN = "drawdown"
    STAKE_ACTION = "stake_action"
    FALLBACK = "fallback"  # a round submitted with an earlier model: the promoted one failed
    CREDENTIALS_REFUSED = "credentials_refused"  # the worker stopped: a person must act
    HEARTBEAT = "heartbeat"
    RESEARCH_PROMOTED = "research_promoted"  # an experiment's winner became the model


# A heartbeat every half hour would drown the notifications (the demo's log was 114 heartbeats
# in 122 lines): they go to the program's log, and to notifications only when asked
# (``agent.notify_heartbeats``).
WEBHOOK_KINDS = frozenset(Kind) - {Kind.HEARTBEAT}


@dataclass(frozen=True)
class Notification:
    kind: Kind
    message: str
    at: datetime
    model: str | None = None
    round_number: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": "numerpilot",
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "model": self.model,
            "round": self.round_number,
            "message": self.message,
            "details": dict(self.details),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, default=str)


class Sink(Protocol):
    """Where notifications go. ``name`` is safe to log; ``send`` may raise OSError or
    requests' errors, which the Notifier catches."""

    @property
    def name(self) -> str: ...

    def send(self, notification: Notification) -> None: ...


class LogFileSink:
    """Appends one JSON line per notification of ``kinds`` (a single write, so lines never
    interleave)."""

    def __init__(self, path: Path, *, kinds: Iterable[Kind] = WEBHOOK_KINDS):
        self.path = path
        self.kinds = frozenset(kinds)

    @property
    def name(self) -> str:
        return f"log file {self.path}"

    def send(self, notification: Notification) -> None:
        if notification.kind not in self.kinds:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(notification.to_json() + "\n")


class WebhookSink:
    """POSTs each notification of ``kinds`` as JSON to ``url``, giving up after ``timeout``."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = WEBHOOK_TIMEOUT_SECONDS,
        kinds: Iterable[Kind] = WEBHOOK_KINDS,
    ):
        self._url = url
        self.timeout = timeout
        self.kinds = frozenset(kinds)

    @property
    def name(self) -> str:
        parts = urlsplit(self._url)
        return f"webhook {parts.scheme}://{parts.hostname}"

    def send(self, notification: Notification) -> None:
        if notification.kind not in self.kinds:
            return
        response = requests.post(
            self._url,
            data=notification.to_json().encode("utf-8"),
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
            allow_redirects=False,
        )
        response.raise_for_status()


class Notifier:
    """Sends notifications to every sink; a failing sink is logged and counted, never raised."""

    def __init__(self, sinks: Sequence[Sink], clock: Clock, *, secrets: Sequence[str] = ()):
        self.sinks = list(sinks)
        self._clock = clock
        self._secrets = tuple(secrets)
        self.failures = 0

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, self._secrets)
        if isinstance(value, Mapping):
            return {str(k): self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        return value

    def notify(
        self,
        kind: Kind,
        message: str,
        *,
        model: str | None = None,
        round_number: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> Notification:
        notification = Notification(
            kind=Kind(kind),
            message=self._clean(message),
            at=utc(self._clock.now()),
            model=model,
            round_number=round_number,
            details=self._clean(dict(details or {})),
        )
        level = logging.DEBUG if notification.kind is Kind.HEARTBEAT else logging.INFO
        log.log(level, "%s: %s", notification.kind.value, notification.message)
        for sink in self.sinks:
            try:
                sink.send(notification)
            except (OSError, requests.RequestException) as e:
                # The exception's text may quote the URL (and its token): name the type only.
                self.failures += 1
                log.warning(
                    "%s notification not delivered to %s: %s", kind, sink.name, type(e).__name__
                )
        return notification


def notifier_from_settings(
    settings: Settings, clock: Clock, *, secrets: Sequence[str] = ()
) -> Notifier:
    """The sinks ``agent.notify_log`` and ``agent.notify_webhook`` ask for (either may be unset)."""
    sinks: list[Sink] = []
    kinds = frozenset(Kind) if settings.agent.notify_heartbeats else WEBHOOK_KINDS
    if settings.agent.notify_log is not None:
        sinks.append(LogFileSink(settings.path(settings.agent.notify_log), kinds=kinds))
    if settings.agent.notify_webhook:
        sinks.append(WebhookSink(settings.agent.notify_webhook, kinds=kinds))
    return Notifier(sinks, clock, secrets=secrets)


__all__ = [
    "WEBHOOK_KINDS",
    "Kind",
    "LogFileSink",
    "Notification",
    "Notifier",
    "Sink",
    "WebhookSink",
    "notifier_from_settings",
]
