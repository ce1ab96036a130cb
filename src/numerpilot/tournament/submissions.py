"""Uploading predictions and model pickles, and checking that they arrived.

numerapi's upload methods PUT the file without looking at the answer and return whatever id
the final mutation gives, so a lost upload looks like a success. Here each upload runs the same
three steps with numerapi's own queries (through the client's transport: timeouts, typed
errors), but the PUT's status is checked, and afterwards the tournament is asked to list the
submission for the current round (or the model's pickle). Transient failures, and an upload
that is not listed, are retried with backoff on the clock, for predictions only while the
round is still open. A create whose answer never came (a timeout, a 5xx) may have been
applied: it is never sent again before the tournament's listing has been asked (twice, a
request timeout apart), and a listed one is the receipt, with the id the tournament counts.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from numerpilot.clock import utc
from numerpilot.errors import (
    CredentialsError,
    RoundClosed,
    SubmissionRejected,
    TournamentError,
    TransientTournamentError,
)
from numerpilot.tournament._listings import (
    CLOCK_SKEW,
    ListedPickle,
    ListedSubmission,
    counted_among,
    counted_submission,
    list_pickles,
    list_submissions,
)
from numerpilot.tournament._upload_steps import create, put_file, retry_upload, upload_auth
from numerpilot.tournament.client import CLASSIC_TOURNAMENT, TournamentClient
from numerpilot.tournament.rounds import RoundInfo
from numerpilot.tournament.transport import MaybeApplied

log = logging.getLogger(__name__)

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


class KeyRefusedBeforeUpload(CredentialsError):
    """The tournament refused the API key before any file or submission was sent."""


def upload_predictions(
    client: TournamentClient,
    *,
    model_name: str,
    csv_path: Path,
    round_info: RoundInfo,
    sha256: str | None = None,
) -> SubmissionReceipt:
    """Upload exactly the file ``csv_path`` (whose hash must be ``sha256`` when given) for
    ``model_name`` and return once the tournament lists it for ``round_info``: the receipt
    holds the id the tournament counts. ``RoundClosed`` if the round closes first.

    A create that may have been applied (it timed out, or a 5xx) is never sent again before
    the tournament has been asked what it has: listed, it is the receipt; not listed twice,
    ``request_timeout`` apart on the clock, the upload starts over."""
    clock = client.transport.clock
    try:
        mid = model_id(client, model_name)
    except CredentialsError as e:
        raise KeyRefusedBeforeUpload(str(e)) from None
    data = csv_path.read_bytes()
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise SubmissionRejected(
            "file_changed", f"{csv_path} changed after it was checked; not uploaded"
        )
    since = utc(clock.now())
    what = f"submission of {model_name} for round {round_info.number}"
    unsure = False  # a create was sent whose fate is unknown

    def receipt(found: ListedSubmission, tries: int) -> SubmissionReceipt:
        return SubmissionReceipt(
            model_name=model_name,
            model_id=mid,
            round_number=round_info.number,
            submission_id=found.submission_id,
            filename=found.filename,
            inserted_at=found.inserted_at,
            attempts=tries,
        )

    def landed() -> ListedSubmission | None:
        """After an unsure create: ours if the tournament lists it; asked twice, since a
        slow server may still be carrying the create out."""
        for look in range(2):
            found = counted_submission(client, mid, round_info.number, since)
            if found is not None:
                return found
            if look == 0:
                clock.sleep(client.transport.timeout)
        return None

    def attempt(tries: int) -> SubmissionReceipt:
        nonlocal unsure
        if unsure:
            found = landed()  # a failure to list propagates: retried, still unsure
            if found is not None:
                log.info("%s: the unanswered create did arrive (%s)", what, found.submission_id)
                return receipt(found, tries)
            unsure = False  # the tournament answered, and has nothing of ours: send again
        try:
            auth = upload_auth(
                client,
                SUBMISSION_AUTH_QUERY,
                {"filename": csv_path.name, "tournament": CLASSIC_TOURNAMENT, "modelId": mid},
                "submission_upload_auth",
            )
        except CredentialsError as e:
            raise KeyRefusedBeforeUpload(str(e)) from None
        put_file(client, auth["url"], data, what)
        variables = {
            "filename": auth["filename"],
            "tournament": CLASSIC_TOURNAMENT,
            "modelId": mid,
            "triggerId": None,
            "dataDatestamp": None,
        }
        try:
            sid = create(client, CREATE_SUBMISSION_MUTATION, variables, "create_submission")
        except MaybeApplied:
            unsure = True
            raise
        listed = list_submissions(client, mid)
        mine = next((s for s in listed if s.submission_id == sid), None)
        if mine is not None and mine.round_number not in (None, round_info.number):
            raise TournamentError(
                f"submission {sid} was recorded for round {mine.round_number}, "
                f"not {round_info.number}"
            )
        found = counted_among(listed, round_info.number, since)
        if found is None:
            unsure = True  # dropped, or listed late: look again before sending another
            raise TransientTournamentError(f"submission {sid} is not listed after its upload")
        if found.submission_id != sid:
            log.warning("%s: the tournament counts %s, not %s", what, found.submission_id, sid)
        return receipt(found, tries)

    def closed(detail: str) -> Exception:
        return RoundClosed(
            f"round {round_info.number} closed for submissions at "
            f"{round_info.close_staking_time.isoformat()}; {what} was not confirmed {detail}"
        )

    return retry_upload(
        client, what, attempt, deadline=round_info.close_staking_time, on_deadline=closed
    )


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
    since = utc(client.transport.clock.now()) - CLOCK_SKEW
    unsure = False  # a create was sent whose fate is unknown: look before sending another

    def receipt(uid: str, filename: str, tries: int) -> ModelUploadReceipt:
        return ModelUploadReceipt(
            model_name=model_name,
            model_id=mid,
            upload_id=uid,
            filename=filename,
            data_version=data_version[0],
            docker_image=docker_image[0],
            attempts=tries,
        )

    def landed() -> ListedPickle | None:
        mine = [
            (p.inserted_at, p)
            for p in list_pickles(client, mid)
            if p.inserted_at is not None and p.inserted_at >= since
        ]
        return max(mine, key=lambda found: found[0])[1] if mine else None

    def attempt(tries: int) -> ModelUploadReceipt:
        nonlocal unsure
        if unsure:
            found = landed()
            if found is not None:
                return receipt(found.pickle_id, found.filename, tries)
            unsure = False
        auth = upload_auth(
            client,
            PICKLE_AUTH_QUERY,
            {"filename": pickle_path.name, "modelId": mid},
            "computePickleUploadAuth",
        )
        put_file(client, auth["url"], data, what)
        variables = {
            "filename": auth["filename"],
            "tournament": CLASSIC_TOURNAMENT,
            "modelId": mid,
            "dataVersionId": data_version[1],
            "dockerImageId": docker_image[1],
        }
        try:
            uid = create(client, CREATE_PICKLE_MUTATION, variables, "createComputePickleUpload")
        except MaybeApplied:
            unsure = True
            raise
        if not any(p.pickle_id == uid for p in list_pickles(client, mid)):
            raise TransientTournamentError(f"model upload {uid} is not listed after its upload")
        return receipt(uid, auth["filename"], tries)

    return retry_upload(client, what, attempt)


__all__ = [
    "KeyRefusedBeforeUpload",
    "ModelUploadReceipt",
    "SubmissionReceipt",
    "data_versions",
    "docker_images",
    "model_id",
    "model_ids",
    "upload_model",
    "upload_predictions",
]
