"""Credentials: environment first, a private file, atomic 0600 writes, never shown."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from numerpilot.credentials import (
    Credentials,
    RedactingFilter,
    default_credentials_path,
    install_redaction,
    load_credentials,
    redact,
    require_credentials,
    write_credentials,
)
from numerpilot.errors import CredentialsError

PUBLIC = "PUBLICID1234567890"
SECRET = "SECRETKEY0987654321SECRETKEY"


def private_file(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    path.chmod(0o600)
    return path


def test_environment_comes_first(tmp_path: Path):
    path = private_file(tmp_path / "c.json", {"public_id": "filepub", "secret_key": "filesecret"})
    env = {"NUMERAI_PUBLIC_ID": PUBLIC, "NUMERAI_SECRET_KEY": SECRET}
    creds = load_credentials(env, path)
    assert creds == Credentials(PUBLIC, SECRET, source="environment")


def test_half_set_environment_names_the_missing_variable(tmp_path: Path):
    with pytest.raises(CredentialsError, match="NUMERAI_SECRET_KEY is not set"):
        load_credentials({"NUMERAI_PUBLIC_ID": PUBLIC}, tmp_path / "none.json")
    with pytest.raises(CredentialsError, match="NUMERAI_PUBLIC_ID is not set"):
        load_credentials({"NUMERAI_SECRET_KEY": SECRET}, tmp_path / "none.json")


def test_file_is_read_when_the_environment_has_none(tmp_path: Path):
    path = private_file(tmp_path / "c.json", {"public_id": PUBLIC, "secret_key": SECRET})
    creds = load_credentials({}, path)
    assert creds is not None and creds.secret_key == SECRET and creds.source == str(path)


def test_default_path_is_under_home(_isolated_home: Path):
    assert default_credentials_path() == _isolated_home / ".numerai" / "credentials.json"
    assert load_credentials({}) is None


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path, mode: int):
    path = private_file(tmp_path / "c.json", {"public_id": PUBLIC, "secret_key": SECRET})
    path.chmod(mode)
    with pytest.raises(CredentialsError) as info:
        load_credentials({}, path)
    assert f"chmod 600 {path}" in str(info.value) and f"{mode:o}" in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"public_id": "PUBLICID1234567890", "secret_key": "SECRETKEY0987654321SECRETKEY"',
            "line 1",
        ),
        ("[1, 2]", "expected an object"),
        ('{"public_id": "PUBLICID1234567890"}', "must both be strings"),
        ('{"public_id": "", "secret_key": ""}', "must not be empty"),
    ],
)
def test_malformed_file_never_echoes_its_content(tmp_path: Path, content: str, message: str):
    path = tmp_path / "c.json"
    path.write_text(content, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(CredentialsError, match=message) as info:
        load_credentials({}, path)
    assert SECRET not in str(info.value) and PUBLIC not in str(info.value)


def test_none_anywhere(tmp_path: Path):
    assert load_credentials({}, tmp_path / "absent.json") is None
    with pytest.raises(CredentialsError, match="numerpilot init --public-id"):
        require_credentials({}, tmp_path / "absent.json")


def test_write_is_atomic_private_and_round_trips(tmp_path: Path):
    path = tmp_path / "dir" / "credentials.json"
    written = write_credentials(Credentials(PUBLIC, SECRET), path)
    assert written == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_credentials({}, path) == Credentials(PUBLIC, SECRET, source=str(path))
    # overwriting keeps it private and leaves no temporary file behind
    write_credentials(Credentials(PUBLIC, "OTHERSECRETOTHERSECRET"), path)
    assert json.loads(path.read_text())["secret_key"] == "OTHERSECRETOTHERSECRET"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == ["credentials.json"]


def test_repr_and_str_hide_the_secret_and_mask_the_id():
    creds = Credentials(PUBLIC, SECRET)
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text and PUBLIC not in text
        assert "PUBL***" in text and "'***'" in text


def test_redact_replaces_every_secret_longest_first():
    text = f"Token {PUBLIC}${SECRET} and again {SECRET}"
    assert redact(text, (PUBLIC, SECRET)) == "Token ***$*** and again ***"
    assert redact("abc", ("", "zzz")) == "abc"
    # a secret that contains the other is replaced whole, not piecewise
    assert redact("xx-LONGSECRET-xx", ("SECRET", "LONGSECRET")) == "xx-***-xx"


def test_redacting_filter_scrubs_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
):
    logger = logging.getLogger("numerpilot.test.redaction")
    logger.addFilter(RedactingFilter([PUBLIC, SECRET]))
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("header Token %s$%s", PUBLIC, SECRET)
            try:
                raise ValueError(f"refused key {SECRET}")
            except ValueError:
                logger.exception("call failed")
    finally:
        logger.filters.clear()
    assert SECRET not in caplog.text and PUBLIC not in caplog.text
    assert "header Token ***$***" in caplog.text and "refused key ***" in caplog.text


def test_install_redaction_covers_the_handlers(tmp_path: Path):
    logger = logging.getLogger("numerpilot.test.install")
    logger.propagate = False
    log_file = tmp_path / "log.txt"
    handler = logging.FileHandler(log_file)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        install_redaction(Credentials(PUBLIC, SECRET), logger)
        logger.info("using %s", SECRET)
        logger.getChild("child").warning("child says %s", PUBLIC)
    finally:
        handler.close()
        logger.removeHandler(handler)
        logger.filters.clear()
    text = log_file.read_text()
    assert "using ***" in text and "child says ***" in text
    assert SECRET not in text and PUBLIC not in text
