"""The only code that talks to Numerai: wraps numerapi with typed results and errors.

The client (``TournamentClient``) answers rounds, datasets and the account; the functions
here upload predictions and model pickles and look them up in the tournament's listing,
read scores and stakes, and ask for stake changes. Everything that crosses this line is a
typed value (``RoundInfo``, ``ListedSubmission``, ``RoundPerformance`` ...), never a dict.

Every name is imported on first use (PEP 562): importing ``numerpilot.tournament`` does not
import numerapi; ``RoundInfo`` does not either, the client does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from numerpilot.faces import lazy_face

if TYPE_CHECKING:
    from numerpilot.tournament._listings import (
        CLOCK_SKEW,
        ListedPickle,
        ListedSubmission,
        counted_submission,
        list_pickles,
        list_submissions,
    )
    from numerpilot.tournament.client import CLASSIC_TOURNAMENT, TournamentClient, version_key
    from numerpilot.tournament.files import DownloadResult, RemoteFile
    from numerpilot.tournament.rounds import RoundInfo
    from numerpilot.tournament.schedule import upcoming_round
    from numerpilot.tournament.scores import RoundPerformance, performances
    from numerpilot.tournament.stakes import StakeChange, change_stake, current_stake
    from numerpilot.tournament.submissions import (
        KeyRefusedBeforeUpload,
        ModelUploadReceipt,
        SubmissionReceipt,
        data_versions,
        docker_images,
        model_id,
        model_ids,
        upload_model,
        upload_predictions,
    )
    from numerpilot.tournament.transport import NotSent, is_loopback, local_tournament_clock

# Each name, and the module that defines it.
_WHERE = {
    "CLASSIC_TOURNAMENT": "client",
    "CLOCK_SKEW": "_listings",
    "DownloadResult": "files",
    "KeyRefusedBeforeUpload": "submissions",
    "ListedPickle": "_listings",
    "ListedSubmission": "_listings",
    "ModelUploadReceipt": "submissions",
    "NotSent": "transport",
    "RemoteFile": "files",
    "RoundInfo": "rounds",
    "RoundPerformance": "scores",
    "StakeChange": "stakes",
    "SubmissionReceipt": "submissions",
    "TournamentClient": "client",
    "change_stake": "stakes",
    "counted_submission": "_listings",
    "current_stake": "stakes",
    "data_versions": "submissions",
    "docker_images": "submissions",
    "is_loopback": "transport",
    "local_tournament_clock": "transport",
    "list_pickles": "_listings",
    "list_submissions": "_listings",
    "model_id": "submissions",
    "model_ids": "submissions",
    "performances": "scores",
    "upcoming_round": "schedule",
    "upload_model": "submissions",
    "upload_predictions": "submissions",
    "version_key": "client",
}


__getattr__ = lazy_face(__name__, _WHERE, cache=True)


__all__ = [
    "CLASSIC_TOURNAMENT",
    "CLOCK_SKEW",
    "DownloadResult",
    "KeyRefusedBeforeUpload",
    "ListedPickle",
    "ListedSubmission",
    "ModelUploadReceipt",
    "NotSent",
    "RemoteFile",
    "RoundInfo",
    "RoundPerformance",
    "StakeChange",
    "SubmissionReceipt",
    "TournamentClient",
    "change_stake",
    "counted_submission",
    "current_stake",
    "data_versions",
    "docker_images",
    "is_loopback",
    "list_pickles",
    "list_submissions",
    "local_tournament_clock",
    "model_id",
    "model_ids",
    "performances",
    "upcoming_round",
    "upload_model",
    "upload_predictions",
    "version_key",
]
