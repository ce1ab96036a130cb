"""``numerpilot demo``: the local tournament, training, research and the autopilot composed
into one offline month. It sits above every layer it composes, beside the CLI that runs it, so
that nothing below it (``pipeline/``, ``agent/``) ever imports the local tournament."""

from numerpilot.demo._run import DemoResult, run_demo
from numerpilot.demo._world import (
    DEMO_DAYS,
    MARKER,
    SPEED,
    DemoProgress,
    prepare_folder,
)

__all__ = [
    "DEMO_DAYS",
    "MARKER",
    "SPEED",
    "DemoProgress",
    "DemoResult",
    "prepare_folder",
    "run_demo",
]
