"""The local tournament: a Numerai-compatible server for rehearsals and tests."""
