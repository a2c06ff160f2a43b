"""JSON-pointer diffs between two COT documents, in Cotalker's shape:
`{"/name/names": {"previous": "Thomas", "changedTo": "Layla"}}`.
"""

from typing import Any

# Bumped on every save; a change of these alone is not an edit.
VOLATILE_KEYS = frozenset({"modifiedAt"})


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def json_diff(before: Any, after: Any, path: str = "") -> dict[str, dict[str, Any]]:
    """Changed leaves, keyed by JSON pointer. Objects recurse; lists compare whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: dict[str, dict[str, Any]] = {}
        for key in list(before) + [k for k in after if k not in before]:
            if not path and key in VOLATILE_KEYS:
                continue
            changes.update(json_diff(before.get(key), after.get(key), f"{path}/{_escape(str(key))}"))
        return changes
    if before == after:
        return {}
    return {path or "/": {"previous": before, "changedTo": after}}


def changed_top_level_keys(diff: dict[str, Any]) -> set[str]:
    return {pointer.split("/")[1].replace("~1", "/").replace("~0", "~") for pointer in diff}
