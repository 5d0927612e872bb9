"""Reading the JSON files that override a built-in table (``--prices FILE``, ``--quotas FILE``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def read_override(
    path: str | Path | None, env_name: str, error: type[Exception], what: str
) -> tuple[str, Mapping[str, Any]] | None:
    """``(source, JSON object)`` from ``path``, else from the file ``$env_name`` names; None without
    either. Unreadable or non-object files raise ``error`` naming the file."""
    source = path or os.environ.get(env_name)
    if not source:
        return None
    try:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(f"cannot read {what} from {source}: {exc}") from exc
    if not isinstance(document, Mapping):
        raise error(f"{source}: expected a JSON object of {what}")
    return str(source), document
