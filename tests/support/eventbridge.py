"""EventBridge input transformers, as the EventBridge User Guide ("Amazon EventBridge input
transformation") describes them, for tests of the module's templates.

- ``input_paths`` map a variable to a JSON path of the event; a path that matches nothing gives null.
- In ``input_template`` a ``<variable>`` outside a JSON string is replaced by the value as JSON (a string
  keeps its quotes and is escaped); inside a JSON string it is replaced by the raw value, unescaped,
  which is why a value with ``"`` or ``\\`` placed inside quotes breaks the message.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.-]+)>")


def _resolve(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.removeprefix("$.").split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def render_input_template(template: str, input_paths: dict[str, str], event: dict[str, Any]) -> str:
    values = {name: _resolve(event, path) for name, path in input_paths.items()}
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(template):
        match = _PLACEHOLDER.match(template, i)
        if match and match.group(1) in values:
            value = values[match.group(1)]
            if in_string:
                out.append(value if isinstance(value, str) else json.dumps(value))
            else:
                out.append(json.dumps(value, ensure_ascii=False))
            i = match.end()
            continue
        char = template[i]
        if in_string and not escaped and char == '"':
            in_string = False
        elif not in_string and char == '"':
            in_string = True
        escaped = in_string and char == "\\" and not escaped
        out.append(char)
        i += 1
    return "".join(out)
