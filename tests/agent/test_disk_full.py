"""A full disk at each write point: one line naming the file and the space needed (exit 10),
never a traceback; nothing uploaded when the disk fills before the upload, and an upload the
tournament accepted is never reported as failed and is recorded by the next run."""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from numerpilot.agent.ledger import Ledger
from numerpilot.clock import SystemClock
from numerpilot.errors import ExitCode, StorageError
from numerpilot.fsutil import write_text_atomic
from tests.agent.test_exactly_once import on_server
from tests.agent.test_manual_uploads import current_number, predictions_file
from tests.agent.test_worker_cli import make_project
from tests.cli_run import run


def disk_full(path: object) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def full_under(
    monkeypatch: pytest.MonkeyPatch, folder: Path, *, suffix: str = ""
) -> Callable[[Path], bool]:
    """Every Path.write_bytes / write_text / open-for-writing of a file under ``folder``
    (ending with ``suffix``) fails with ENOSPC; the rest of the machine still has space."""
    hit = lambda p: Path(p).resolve().is_relative_to(folder.resolve()) and str(p).endswith(suffix)  # noqa: E731
    real_write_bytes, real_write_text, real_open = Path.write_bytes, Path.write_text, Path.open

    def write_bytes(self: Path, data: Any) -> int:
        if hit(self):
            raise disk_full(self)
        return real_write_bytes(self, data)

    def write_text(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        if hit(self):
            raise disk_full(self)
        return real_write_text(self, data, *args, **kwargs)

    def open_(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if hit(self) and any(m in mode for m in "wax"):
            raise disk_full(self)
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    monkeypatch.setattr(Path, "write_text", write_text)
    monkeypatch.setattr(Path, "open", open_)
    return hit


def test_an_atomic_write_names_the_file_and_the_space_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full_under(monkeypatch, tmp_path)
    target = tmp_path / "reports" / "index.html"
    with pytest.raises(StorageError) as info:
        write_text_atomic(target, "x" * 1000)
    assert info.value.path == str(target) and info.value.needed_bytes == 1000
    assert str(target) in str(info.value) and "1,000 bytes needed" in str(info.value)
    assert not target.exists() and list(target.parent.iterdir()) == []  # no temporary left


def test_a_full_ledger_is_a_storage_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "numerpilot.db"
    with Ledger(path, SystemClock()) as ledger:
        ledger.record_event("first", "fits")
        engine = ledger._engine
        engine.dispose()

        @event.listens_for(engine, "connect")
        def _no_more_pages(dbapi_connection: Any, _record: Any) -> None:
            # SQLite's own "disk is full": the file may not grow past its present size.
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        with pytest.raises(StorageError, match="cannot be written") as info:
            ledger.record_event("big", "x" * 200_000)
        assert info.value.path == str(path)
        assert [e.kind for e in ledger.events()] == ["first"]


def test_submit_with_no_space_for_its_predictions_uploads_nothing(
    live_sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder = make_project(tmp_path / "project", live_sim, monkeypatch)
    csv = predictions_file(live_sim, tmp_path / "mine.csv")
    full_under(monkeypatch, folder / "predictions")
    code, _, err = run(
        ["--project", str(folder), "submit", "demo_csv", "--predictions", str(csv)], capsys
    )
    assert code == ExitCode.STORAGE and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert str(folder / "predictions") in " ".join(err.split()) and "bytes needed" in err
    assert on_server(live_sim, "demo_csv", current_number(live_sim)) == []
    if (folder / "numerpilot.db").exists():
        with Ledger(folder / "numerpilot.db", SystemClock()) as ledger:
            assert ledger.submissions() == []


def test_an_accepted_upload_the_ledger_cannot_record_is_not_a_failure(
    live_sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder = make_project(tmp_path / "project", live_sim, monkeypatch)
    csv = predictions_file(live_sim, tmp_path / "mine.csv")
    number = current_number(live_sim)

    def confirm_on_a_full_disk(self: Ledger, submission_id: int, server_id: str) -> None:
        with self._writing():
            raise OperationalError(
                "UPDATE", {}, sqlite3.OperationalError("database or disk is full")
            )

    with monkeypatch.context() as m:
        m.setattr(Ledger, "confirm_submission", confirm_on_a_full_disk)
        code, _, err = run(
            ["--project", str(folder), "submit", "demo_csv", "--predictions", str(csv)], capsys
        )
    (stored,) = on_server(live_sim, "demo_csv", number)
    text = " ".join(err.split())
    assert code == ExitCode.STORAGE and "Traceback" not in err
    assert f"accepted demo_csv's round {number} submission {stored.id}" in text
    with Ledger(folder / "numerpilot.db", SystemClock()) as ledger:
        (pending,) = ledger.pending_submissions()
        assert pending.round_number == number

    code, out, err = run(["--project", str(folder), "run", "--once", "--json"], capsys)
    assert json.loads(out)["outcomes"]["demo_csv"] in ("confirmed", "done"), err
    with Ledger(folder / "numerpilot.db", SystemClock()) as ledger:
        recorded = ledger.submission_for(number, "demo_csv")
    assert recorded is not None and recorded.status == "confirmed"
    assert recorded.server_id == stored.id
    assert [s.id for s in on_server(live_sim, "demo_csv", number)] == [stored.id]


def test_data_download_on_a_full_disk_is_one_line(
    live_sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    folder = make_project(tmp_path / "project", live_sim, monkeypatch)
    full_under(monkeypatch, folder / "data", suffix=".temp")
    code, _, err = run(
        ["--project", str(folder), "data", "download", "--files", "live.parquet"], capsys
    )
    text = " ".join(err.split())
    assert code == ExitCode.STORAGE and "Traceback" not in text
    assert "live.parquet" in text and "bytes needed" in text
    assert not (folder / "data" / "v5.3" / "live.parquet").exists()
