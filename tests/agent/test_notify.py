from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from numerpilot.agent.notify import (
    Kind,
    LogFileSink,
    Notification,
    Notifier,
    WebhookSink,
    notifier_from_settings,
)
from numerpilot.clock import SteppedClock
from numerpilot.config import load_settings
from numerpilot.errors import ConfigError

SECRET = "SECRETKEY0123456789"


class Hook:
    """A webhook receiver on 127.0.0.1 that records each JSON body and answers ``status``."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/{SECRET}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_log_file_gets_one_json_line_per_notification(
    tmp_path: Path, clock: SteppedClock
) -> None:
    log = tmp_path / "logs" / "notifications.log"
    notifier = Notifier([LogFileSink(log, kinds=set(Kind))], clock)
    notifier.notify(Kind.MISSED_ROUND, "round 1000 closed", model="m1", round_number=1000)
    notifier.notify(Kind.HEARTBEAT, "alive", details={"state": "waiting"})
    assert _lines(log) == [
        {
            "source": "numerpilot",
            "kind": "missed_round",
            "at": clock.now().isoformat(),
            "model": "m1",
            "round": 1000,
            "message": "round 1000 closed",
            "details": {},
        },
        {
            "source": "numerpilot",
            "kind": "heartbeat",
            "at": clock.now().isoformat(),
            "model": None,
            "round": None,
            "message": "alive",
            "details": {"state": "waiting"},
        },
    ]


def test_the_webhook_gets_the_json_but_not_heartbeats(hook: Hook, clock: SteppedClock) -> None:
    notifier = Notifier([WebhookSink(hook.url)], clock)
    notifier.notify(Kind.HEARTBEAT, "alive")
    sent = notifier.notify(
        Kind.STAKE_ACTION, "would increase by 1", model="m1", details={"amount": "1.00"}
    )
    assert hook.bodies == [json.loads(sent.to_json())]
    assert hook.bodies[0]["kind"] == "stake_action"
    assert hook.bodies[0]["details"] == {"amount": "1.00"}
    assert notifier.failures == 0


def test_secrets_never_leave_in_a_notification(
    tmp_path: Path, hook: Hook, clock: SteppedClock
) -> None:
    log = tmp_path / "n.log"
    notifier = Notifier([LogFileSink(log), WebhookSink(hook.url)], clock, secrets=[SECRET])
    notifier.notify(
        Kind.SUBMISSION_REJECTED,
        f"refused for Token pub${SECRET}",
        details={"response": f"key {SECRET}", "nested": [{"k": SECRET}]},
    )
    assert SECRET not in log.read_text(encoding="utf-8")
    assert SECRET not in json.dumps(hook.bodies)
    assert hook.bodies[0]["message"] == "refused for Token pub$***"


def test_a_failing_webhook_never_raises_and_never_logs_its_token(
    tmp_path: Path, hook: Hook, clock: SteppedClock, caplog: pytest.LogCaptureFixture
) -> None:
    hook.status = 500
    log = tmp_path / "n.log"
    notifier = Notifier([WebhookSink(hook.url), LogFileSink(log)], clock)
    with caplog.at_level(logging.WARNING, logger="numerpilot.agent.notify"):
        notifier.notify(Kind.RETRAIN_FAILED, "out of memory")
    assert notifier.failures == 1
    assert len(_lines(log)) == 1  # the next sink still got it
    assert "webhook http://127.0.0.1" in caplog.text and "HTTPError" in caplog.text
    assert SECRET not in caplog.text


def test_a_webhook_that_hangs_or_is_gone_is_given_up(clock: SteppedClock) -> None:
    # A socket that listens but never answers: the POST times out instead of blocking the worker.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        notifier = Notifier([WebhookSink(f"http://127.0.0.1:{port}/", timeout=0.2)], clock)
        notifier.notify(Kind.DRAWDOWN, "cumulative score 0.06 below its peak")
    assert notifier.failures == 1
    # Now nothing listens on that port at all: the connection is refused.
    notifier.notify(Kind.DRAWDOWN, "again")
    assert notifier.failures == 2


def test_an_unwritable_log_file_is_counted_not_raised(tmp_path: Path, clock: SteppedClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    notifier = Notifier([LogFileSink(blocker / "n.log")], clock)
    notification = notifier.notify(Kind.MISSED_ROUND, "round 1000")
    assert isinstance(notification, Notification) and notifier.failures == 1


def test_sinks_follow_the_settings(tmp_path: Path, clock: SteppedClock) -> None:
    settings = load_settings(tmp_path)
    sinks = notifier_from_settings(settings, clock).sinks
    assert [type(s) for s in sinks] == [LogFileSink]
    assert isinstance(sinks[0], LogFileSink)
    assert sinks[0].path == tmp_path / "notifications.log"

    settings = load_settings(
        tmp_path, agent={"notify_log": None, "notify_webhook": "https://example.org/h/abc"}
    )
    sinks = notifier_from_settings(settings, clock).sinks
    assert [s.name for s in sinks] == ["webhook https://example.org"]


def test_heartbeats_are_notified_only_when_asked(tmp_path: Path, clock: SteppedClock) -> None:
    for asked in (False, True):
        settings = load_settings(tmp_path, agent={"notify_heartbeats": asked})
        notifier = notifier_from_settings(settings, clock)
        notifier.notify(Kind.HEARTBEAT, f"alive, asked={asked}")
        notifier.notify(Kind.MISSED_ROUND, "round 1000 closed")
    kinds = [line["kind"] for line in _lines(tmp_path / "notifications.log")]
    assert kinds == ["missed_round", "heartbeat", "missed_round"]


def test_a_webhook_that_is_not_a_url_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "numerpilot.toml").write_text(
        '[agent]\nnotify_webhook = "hooks.example.org/abc"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"agent\.notify_webhook.*http\(s\) URL") as raised:
        load_settings(tmp_path)
    assert "abc" not in str(raised.value)
