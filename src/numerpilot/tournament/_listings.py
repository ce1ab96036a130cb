"""What the tournament lists of a model's submissions and pickles, as typed values.

An upload is only believed once the tournament lists it, and a create whose answer never
came is looked for here before it is ever sent again; the listing also says which of a
round's submissions the tournament counts (its latest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from numerpilot.errors import TournamentError
from numerpilot.tournament.client import TournamentClient
from numerpilot.tournament.rounds import parse_time

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
# A submission listed this long before an upload began still counts as that upload's: the
# tournament's clock and ours may disagree a little.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class ListedSubmission:
    """A submission as the tournament lists it."""

    submission_id: str
    filename: str
    round_number: int | None
    inserted_at: datetime | None


@dataclass(frozen=True)
class ListedPickle:
    """A model pickle as the tournament lists it."""

    pickle_id: str
    filename: str
    assigned_model_slots: tuple[str, ...]  # the models that run it; empty when none does
    data_version: str | None
    docker_image: str | None
    validation_status: str | None
    inserted_at: datetime | None


def _inserted_at(raw: dict[str, Any]) -> datetime | None:
    inserted = raw.get("insertedAt")
    return parse_time(inserted, "insertedAt") if inserted else None


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _listed(raw: dict[str, Any]) -> ListedSubmission:
    r = raw.get("round")
    number = r.get("number") if isinstance(r, dict) else None
    try:
        round_number = None if number is None else int(number)
    except (TypeError, ValueError):
        raise TournamentError(f"submission listed with round {number!r}") from None
    return ListedSubmission(
        submission_id=str(raw["id"]),
        filename=str(raw.get("filename") or ""),
        round_number=round_number,
        inserted_at=_inserted_at(raw),
    )


def _listed_pickle(raw: dict[str, Any]) -> ListedPickle:
    slots = raw.get("assignedModelSlots") or []
    if not isinstance(slots, list):
        raise TournamentError(f"pickle listed with model slots {slots!r}")
    return ListedPickle(
        pickle_id=str(raw["id"]),
        filename=str(raw.get("filename") or ""),
        assigned_model_slots=tuple(str(m) for m in slots),
        data_version=_optional_str(raw.get("dataVersion")),
        docker_image=_optional_str(raw.get("dockerImage")),
        validation_status=_optional_str(raw.get("validationStatus")),
        inserted_at=_inserted_at(raw),
    )


def list_submissions(client: TournamentClient, model: str) -> list[ListedSubmission]:
    """The model's submissions as the tournament lists them, in its order (``model`` is the
    model's id)."""
    found = client.query(SUBMISSIONS_QUERY, {"modelId": model}, authorization=True).get(
        "submissions"
    )
    if not isinstance(found, list):
        raise TournamentError("submissions query answered without a list")
    return [_listed(s) for s in found if isinstance(s, dict) and s.get("id") is not None]


def counted_submission(
    client: TournamentClient, model: str, round_number: int, since: datetime | None
) -> ListedSubmission | None:
    """The model's submission the tournament counts for the round (its latest), if it was
    made at or after ``since`` (less ``CLOCK_SKEW``); None if the latest is older, or none.
    ``model`` is the model's id."""
    return counted_among(list_submissions(client, model), round_number, since)


def counted_among(
    listed: list[ListedSubmission], round_number: int, since: datetime | None
) -> ListedSubmission | None:
    in_round = [s for s in listed if s.round_number == round_number]
    if not in_round:
        return None
    # The tournament counts the latest; a listing without times is taken in its own order.
    latest = max(
        enumerate(in_round),
        key=lambda p: (p[1].inserted_at or datetime.min.replace(tzinfo=UTC), p[0]),
    )[1]
    if since is None or latest.inserted_at is None or latest.inserted_at >= since - CLOCK_SKEW:
        return latest
    return None


def list_pickles(client: TournamentClient, model: str) -> list[ListedPickle]:
    """The model's pickles as the tournament lists them (``model`` is the model's id)."""
    found = client.query(PICKLES_QUERY, {"modelId": model}, authorization=True).get(
        "computePickles"
    )
    if not isinstance(found, list):
        raise TournamentError("computePickles answered without a list")
    return [_listed_pickle(p) for p in found if isinstance(p, dict) and p.get("id")]


__all__ = [
    "CLOCK_SKEW",
    "PICKLES_QUERY",
    "SUBMISSIONS_QUERY",
    "ListedPickle",
    "ListedSubmission",
    "counted_among",
    "counted_submission",
    "list_pickles",
    "list_submissions",
]
