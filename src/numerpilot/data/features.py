"""``features.json``: feature sets and targets by name."""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from numerpilot.errors import ConfigError, DataError


@dataclass(frozen=True)
class FeatureMetadata:
    """What ``features.json`` declares: ``{"feature_sets": {NAME: [...]}, "targets": [...]}``."""

    feature_sets: dict[str, list[str]]
    targets: list[str]
    source: str = ""

    @property
    def all_features(self) -> list[str]:
        """The ``all`` set, or the union of every set in file order if there is none."""
        if "all" in self.feature_sets:
            return list(self.feature_sets["all"])
        seen: dict[str, None] = {}
        for names in self.feature_sets.values():
            seen.update(dict.fromkeys(names))
        return list(seen)


def read_feature_metadata(path: Path) -> FeatureMetadata:
    """Read and check ``features.json``; ``DataError`` names the file and the bad key."""
    where = str(path)
    if not path.exists():
        raise DataError(f"{where} is missing; run 'numerpilot data download'", path=where)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{where} is not readable JSON ({e})", path=where) from None
    if not isinstance(raw, dict):
        raise DataError(f"{where}: expected a JSON object", path=where)
    sets = raw.get("feature_sets")
    if not isinstance(sets, dict) or not sets:
        raise DataError(
            f"{where}: 'feature_sets' is missing or empty", path=where, column="feature_sets"
        )
    feature_sets: dict[str, list[str]] = {}
    for name, names in sets.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise DataError(
                f"{where}: feature set '{name}' is not a list of names", path=where, column=name
            )
        feature_sets[str(name)] = list(names)
    targets = raw.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise DataError(f"{where}: 'targets' is not a list of names", path=where, column="targets")
    return FeatureMetadata(feature_sets, list(targets), source=where)


def resolve_features(
    meta: FeatureMetadata, feature_set: str, groups: Sequence[str] = ()
) -> list[str]:
    """The feature names to load: the union of ``groups`` if any (in the order of the ``all``
    set), else the set ``feature_set``. An unknown name is a ``ConfigError`` naming the
    setting it came from, with the closest known names."""
    if not groups:
        return list(_feature_set(meta, feature_set, "train.feature_set"))
    wanted: set[str] = set()
    for group in groups:
        wanted.update(_feature_set(meta, group, "train.feature_groups"))
    ordered = [f for f in meta.all_features if f in wanted]
    # Names a group lists but "all" does not (not in real files) still come, at the end.
    ordered += sorted(wanted.difference(ordered))
    return ordered


def _feature_set(meta: FeatureMetadata, name: str, setting: str) -> list[str]:
    if name in meta.feature_sets:
        names = meta.feature_sets[name]
        if not names:
            raise ConfigError(
                f"setting '{setting}': feature set '{name}' is empty in {meta.source}"
            )
        return names
    close = difflib.get_close_matches(name, list(meta.feature_sets), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    known = ", ".join(sorted(meta.feature_sets))
    raise ConfigError(
        f"setting '{setting}': '{name}' is not a feature set of {meta.source or 'features.json'}"
        f"{hint} (known: {known})"
    )


__all__ = ["FeatureMetadata", "read_feature_metadata", "resolve_features"]
