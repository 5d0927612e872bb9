"""Read the CloudWatch metrics a handler emitted (EMF documents on stdout, as Lambda ships them)."""

from __future__ import annotations

import json
from typing import Any


def metric_total(stdout: str, name: str, **dimensions: str) -> float:
    """Sum of ``name`` over the EMF documents whose dimensions include ``dimensions``.

    Only documents whose dimension set is exactly ``service`` plus the given names count, so the same
    value emitted once per dimension set is not counted twice.
    """
    total = 0.0
    for line in stdout.splitlines():
        if f'"{name}"' not in line:
            continue
        try:
            document: dict[str, Any] = json.loads(line)
        except ValueError:
            continue
        directives = document.get("_aws", {}).get("CloudWatchMetrics", [])
        dimension_sets = [set(d) for directive in directives for d in directive.get("Dimensions", [])]
        if {"service", *dimensions} not in dimension_sets:
            continue
        if any(document.get(key) != value for key, value in dimensions.items()):
            continue
        value = document.get(name, 0)
        total += sum(value) if isinstance(value, list) else value
    return total
