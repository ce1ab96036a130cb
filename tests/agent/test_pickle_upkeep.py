"""A pickle uploaded by hand (``numerpilot upload-model``) is recorded in the ledger through the
same path as the autopilot's, and the autopilot's pickle upkeep then keeps it rather than
uploading again. Fixtures (a local tournament that runs pickles, the shared tiny models) are
the upload-model tests' own."""

from __future__ import annotations

from pathlib import Path

import pytest

from numerpilot.agent import Ledger, Notifier, TournamentServices, record_model_upload
from numerpilot.agent._pickles import keep_pickles
from numerpilot.agent._step_context import StepContext, uploaded_pickle
from numerpilot.pipeline import upload_model
from numerpilot.sim import RunningSim
from numerpilot.tournament import list_pickles, model_id
from tests.pipeline import test_upload_model as upload_tests
from tests.pipeline.submit_world import project_settings, sim_client

pytestmark = pytest.mark.slow

# The upload-model tests' fixtures: a local tournament that runs pickles, the shared tiny models.
local = upload_tests.local
models_dir = upload_tests.models_dir


def test_an_upload_by_hand_is_in_the_ledger_and_kept_by_the_autopilot(
    local: RunningSim, models_dir: Path, tmp_path: Path, runtime_cache_dir: Path
) -> None:
    settings = project_settings(tmp_path / "project", models_dir, local)
    entry = next(m for m in settings.tournament.models if m.mode == "upload")
    with sim_client(local) as client:
        result = upload_model(
            settings,
            client=client,
            runtime_cache=runtime_cache_dir,
            on_uploaded=record_model_upload(settings, client, local.clock),
        )
        assert result.receipt is not None
        with Ledger.open(settings, local.clock) as ledger:
            recorded = uploaded_pickle(ledger, entry.name)
            services = TournamentServices(settings, client, local.clock)
            ctx = StepContext(settings, ledger, Notifier([], local.clock), services, local.clock)
            kept = keep_pickles(ctx, services, [entry], promoted=None)
        pickles = list_pickles(client, model_id(client, entry.name))
    assert recorded == {
        "model_version": "tiny",
        "upload_id": result.receipt.upload_id,
        "sha256": result.sha256,
    }
    assert kept.notes == [] and kept.errors == []  # the autopilot does not upload it again
    assert [p.pickle_id for p in pickles] == [result.receipt.upload_id]
