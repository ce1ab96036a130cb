"""Uploading predictions and model pickles, and checking that they arrived.

numerapi's upload methods PUT the file without looking at the answer and return whatever id
the final mutation gives, so a lost upload looks like a success. Here each upload runs the same
three steps with numerapi's own queries (through the client's transport: timeouts, typed
errors), but the PUT's status is checked, and afterwards the tournament is asked to list the
submission for the current round (or the model's pickle). Transient failures, and an upload
that is not listed, are retried with backoff on the clock, for predictions only while the
round is still open.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import requests

from numerpilot.errors import SubmissionRejected, TournamentError, TransientTournamentError
from numerpilot.tournament.client import CLASSIC_TOURNAMENT, TournamentClient
from numerpilot.tournament.rounds import RoundInfo, parse_time
from numerpilot.tournament.transport import backoff_seconds, safe_url

log = logging.getLogger(__name__)
T = TypeVar("T")

# numerapi's queries (base_api._upload_auth, upload_predictions, model_upload), verbatim in
# what they ask, so any server numerapi works with answers them.
SUBMISSION_AUTH_QUERY = """
    query($filename: String! $tournament: Int! $modelId: String) {
        submission_upload_auth(filename: $filename tournament: $tournament modelId: $modelId) {
            filename
            url
        }
    }
"""
CREATE_SUBMISSION_MUTATION = """
    mutation($filename: String! $tournament: Int! $modelId: String $triggerId: String,
             $dataDatestamp: Int) {
        create_submission(filename: $filename tournament: $tournament modelId: $modelId
                          triggerId: $triggerId source: "numerapi"
                          dataDatestamp: $dataDatestamp) {
            id
        }
    }
"""
PICKLE_AUTH_QUERY = """
    query($filename: String! $modelId: String) {
        computePickleUploadAuth(filename: $filename modelId: $modelId) {
            filename
            url
        }
    }
"""
CREATE_PICKLE_MUTATION = """
    mutation($filename: String! $tournament: Int! $modelId: String $dataVersionId: String
             $dockerImageId: String) {
        createComputePickleUpload(filename: $filename tournament: $tournament modelId: $modelId
                                  dataVersionId: $dataVersionId dockerImageId: $dockerImageId) {
            id
        }
    }
"""
SUBMISSIONS_QUERY = """
    query($modelId: String) {
        submissions(modelId: $modelId) { id filename insertedAt round { number } }
    }
"""
PICKLES_QUERY = """
    query($modelId: ID) {
        computePickles(modelId: $modelId) {
            id filename assignedModelSlots dataVersion dockerImage validationStatus insertedAt
        }
    }
"""
# What a server says when the PUT it acknowledged left no file behind: worth a fresh upload.
_LOST_UPLOAD = re.compile(r"not (been )?uploaded|upload\b.*\bnot found", re.IGNORECASE)


@dataclass(frozen=True)
class SubmissionReceipt:
    model_name: str
    model_id: str
    round_number: int
    submission_id: str
    filename: str
    inserted_at: datetime | None
    attempts: int


@dataclass(frozen=True)
class ModelUploadReceipt:
    model_name: str
    model_id: str
    upload_id: str
    filename: str
    data_version: str
    docker_image: str
    attempts: int


def model_ids(client: TournamentClient) -> dict[str, str]:
    """The account's models: name -> id."""
    models = client.call("models", client.api.get_models)
    if not isinstance(models, dict):
        raise TournamentError("the models query answered something other than a mapping")
    return {str(k): str(v) for k, v in models.items()}


def model_id(client: TournamentClient, name: str) -> str:
    models = model_ids(client)
    if name not in models:
        known = ", ".join(sorted(models)) or "none"
        raise TournamentError(f"no model named {name!r} on this account (models: {known})")
    return models[name]


def docker_images(client: TournamentClient) -> dict[str, str]:
    """Runtime images for model uploads: name -> id."""
    return dict(client.call("docker images", client.api.model_upload_docker_images))


def data_versions(client: TournamentClient) -> dict[str, str]:
    """Data versions for model uploads: name -> id."""
    return dict(client.call("data versions", client.api.model_upload_data_versions))


def _put(client: TournamentClient, url: str, data: bytes, what: str) -> None:
    """PUT ``data`` and check the answer, which numerapi does not."""
    where = safe_url(url)
    try:
        response = client.transport.session.put(url, data=data, timeout=client.transport.timeout)
    except (requests.ConnectionError, requests.Timeout) as e:
        raise TransientTournamentError(
            f"{what}: upload to {where} failed: {type(e).__name__}"
        ) from None
    except requests.RequestException as e:
        raise TournamentError(
            client.transport.scrub(f"{what}: upload to {where} failed: {e}")
        ) from None
    with response:
        client.transport.raise_for_status(response, where, authorized=False)


def _create(client: TournamentClient, mutation: str, variables: dict[str, Any], field: str) -> str:
    try:
        data = client.query(mutation, variables, authorization=True)
    except TransientTournamentError:
        raise
    except TournamentError as e:
        if _LOST_UPLOAD.search(str(e)):
            raise TransientTournamentError(f"the upload was lost on the way: {e}") from None
        raise
    created = data.get(field)
    if not isinstance(created, dict) or not created.get("id"):
        raise TournamentError(f"{field} answered without an id")
    return str(created["id"])


def _auth(
    client: TournamentClient, query: str, variables: dict[str, Any], field: str
) -> dict[str, str]:
    auth = client.query(query, variables, authorization=True).get(field)
    if not isinstance(auth, dict) or not auth.get("url") or not auth.get("filename"):
        raise TournamentError(f"{field} answered without an upload URL")
    return {"filename": str(auth["filename"]), "url": str(auth["url"])}


def _retry(
    client: TournamentClient,
    what: str,
    attempt: Callable[[int], T],
    *,
    deadline: datetime | None = None,
    on_deadline: Callable[[str], Exception] | None = None,
) -> T:
    """``attempt(n)`` until it succeeds, backing off on the client's clock after a transient
    failure; never sleeps past ``deadline``."""
    clock = client.transport.clock
    tries = 0
    while True:
        if deadline is not None and on_deadline is not None and clock.now() >= deadline:
            raise on_deadline("before the first try")
        tries += 1
        try:
            return attempt(tries)
        except TransientTournamentError as e:
            if tries > client.transport.retries:
                raise TransientTournamentError(f"{what}: {e} (gave up after {tries} tries)") from e
            delay = backoff_seconds(tries - 1)
            closing = deadline is not None and (deadline - clock.now()).total_seconds() <= delay
            if closing and on_deadline is not None:
                raise on_deadline(f"after {tries} tries; last error: {e}") from e
            log.warning("%s failed (%s); retry in %.0f s", what, e, delay)
            clock.sleep(delay)


def list_submissions(client: TournamentClient, model: str) -> list[dict[str, Any]]:
    """The model's submissions as the tournament lists them (id, filename, insertedAt, round)."""
    found = client.query(SUBMISSIONS_QUERY, {"modelId": model}, authorization=True).get(
        "submissions"
    )
    if not isinstance(found, list):
        raise TournamentError("submissions query answered without a list")
    return [s for s in found if isinstance(s, dict)]


def upload_predictions(
    client: TournamentClient, *, model_name: str, csv_path: Path, round_info: RoundInfo
) -> SubmissionReceipt:
    """Upload a predictions CSV for ``model_name`` and return once the tournament lists it
    for ``round_info``; ``SubmissionRejected('round_closed')`` if the round closes first."""
    mid = model_id(client, model_name)
    data = csv_path.read_bytes()
    what = f"submission of {model_name} for round {round_info.number}"

    def attempt(tries: int) -> SubmissionReceipt:
        auth = _auth(
            client,
            SUBMISSION_AUTH_QUERY,
            {"filename": csv_path.name, "tournament": CLASSIC_TOURNAMENT, "modelId": mid},
            "submission_upload_auth",
        )
        _put(client, auth["url"], data, what)
        variables = {
            "filename": auth["filename"],
            "tournament": CLASSIC_TOURNAMENT,
            "modelId": mid,
            "triggerId": None,
            "dataDatestamp": None,
        }
        sid = _create(client, CREATE_SUBMISSION_MUTATION, variables, "create_submission")
        listed = next((s for s in list_submissions(client, mid) if s.get("id") == sid), None)
        if listed is None:
            raise TransientTournamentError(f"submission {sid} is not listed after its upload")
        number = (listed.get("round") or {}).get("number")
        if number is not None and int(number) != round_info.number:
            raise TournamentError(
                f"submission {sid} was recorded for round {number}, not {round_info.number}"
            )
        inserted = listed.get("insertedAt")
        return SubmissionReceipt(
            model_name=model_name,
            model_id=mid,
            round_number=round_info.number,
            submission_id=sid,
            filename=str(listed.get("filename") or auth["filename"]),
            inserted_at=parse_time(inserted, "insertedAt") if inserted else None,
            attempts=tries,
        )

    def closed(detail: str) -> Exception:
        return SubmissionRejected(
            "round_closed",
            f"round {round_info.number} closes at {round_info.close_staking_time.isoformat()}; "
            f"{what} was not confirmed {detail}",
        )

    return _retry(client, what, attempt, deadline=round_info.close_staking_time, on_deadline=closed)


def list_pickles(client: TournamentClient, model: str) -> list[dict[str, Any]]:
    found = client.query(PICKLES_QUERY, {"modelId": model}, authorization=True).get(
        "computePickles"
    )
    if not isinstance(found, list):
        raise TournamentError("computePickles answered without a list")
    return [p for p in found if isinstance(p, dict)]


def upload_model(
    client: TournamentClient,
    *,
    model_name: str,
    pickle_path: Path,
    data_version: tuple[str, str],
    docker_image: tuple[str, str],
) -> ModelUploadReceipt:
    """Upload a model pickle for ``model_name`` (data version and image as (name, id) from
    ``data_versions`` / ``docker_images``) and return once the tournament lists it."""
    mid = model_id(client, model_name)
    data = pickle_path.read_bytes()
    what = f"model upload of {model_name}"

    def attempt(tries: int) -> ModelUploadReceipt:
        auth = _auth(
            client,
            PICKLE_AUTH_QUERY,
            {"filename": pickle_path.name, "modelId": mid},
            "computePickleUploadAuth",
        )
        _put(client, auth["url"], data, what)
        variables = {
            "filename": auth["filename"],
            "tournament": CLASSIC_TOURNAMENT,
            "modelId": mid,
            "dataVersionId": data_version[1],
            "dockerImageId": docker_image[1],
        }
        uid = _create(client, CREATE_PICKLE_MUTATION, variables, "createComputePickleUpload")
        if not any(p.get("id") == uid for p in list_pickles(client, mid)):
            raise TransientTournamentError(f"model upload {uid} is not listed after its upload")
        return ModelUploadReceipt(
            model_name=model_name,
            model_id=mid,
            upload_id=uid,
            filename=auth["filename"],
            data_version=data_version[0],
            docker_image=docker_image[0],
            attempts=tries,
        )

    return _retry(client, what, attempt)


__all__ = [
    "ModelUploadReceipt",
    "SubmissionReceipt",
    "data_versions",
    "docker_images",
    "list_pickles",
    "list_submissions",
    "model_id",
    "model_ids",
    "upload_model",
    "upload_predictions",
]
