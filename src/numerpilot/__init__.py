"""numerpilot: an autopilot for the Numerai tournament."""

# The one place the version is written (pyproject.toml reads it from here): reading it from
# the installed metadata instead costs more than the rest of 'numerpilot --version'.
__version__ = "0.1.0"

__all__ = ["__version__"]
