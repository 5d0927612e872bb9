"""The Terraform module's defaults, read from the root ``variables.tf`` rather than copied.

The local runner must behave like a default ``terraform apply``: same batch size, batching window,
concurrency, timeouts, receive count and retention. Reading them from the HCL means a change to the
module changes the local run too, and ``tests/local/test_module_defaults.py`` fails when what the
embedded AWS creates drifts from what the module declares.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

#: Names fixed by docs/internal-contract.md ("Terraform variable names the local runner reads").
VARIABLE_NAMES: tuple[str, ...] = (
    "consumer_timeout",
    "consumer_memory_size",
    "consumer_batch_size",
    "consumer_maximum_batching_window_in_seconds",
    "consumer_maximum_concurrency",
    "consumer_max_concurrent_records",
    "queue_max_receive_count",
    "queue_visibility_timeout_seconds",
    "queue_message_retention_seconds",
    "dlq_message_retention_seconds",
    "archiver_timeout",
    "archiver_batch_size",
    "producer_timeout",
)

#: Further variables the runner honours when the module declares them; otherwise the Lambda package's
#: own defaults (docs/internal-contract.md) apply, which is what the module would pass anyway.
OPTIONAL_VARIABLES: dict[str, int] = {
    "archiver_maximum_concurrency": 2,
    "archiver_memory_size": 256,
    "producer_memory_size": 256,
    "producer_max_document_bytes": 1_000_000,
    "producer_inline_document_max_bytes": 200_000,
    "consumer_inline_result_max_bytes": 100_000,
    "consumer_bedrock_connect_timeout_seconds": 2,
    "consumer_bedrock_read_timeout_seconds": 20,
    "consumer_bedrock_max_attempts": 2,
    "consumer_retry_base_delay_seconds": 10,
    "consumer_retry_max_delay_seconds": 900,
    "consumer_retry_throttled_base_delay_seconds": 180,
    "batch_min_records": 100,
    "batch_max_records": 50_000,
    "batch_max_wait_hours": 24,
    "batch_timeout_hours": 24,
    "batch_max_jobs_in_flight": 10,
    "batch_queue_message_retention_seconds": 1_209_600,
    "batch_submitter_timeout": 900,
    "batch_submitter_memory_size": 1024,
    "batch_collector_timeout": 900,
    "batch_collector_memory_size": 1024,
}

#: String variables the runner reads: the model the module calls by default (the run prices its tokens
#: as that model's).
STRING_VARIABLES: dict[str, str] = {"model_id": "global.anthropic.claude-haiku-4-5-20251001-v1:0"}

#: Variables whose Terraform default may be ``null`` because the module derives them.
NULLABLE = frozenset({"queue_visibility_timeout_seconds"})

MODULE_DIR_ENV = "BEDROCK_JOBS_MODULE_DIR"


class ModuleDefaultsError(RuntimeError):
    """variables.tf is missing, unreadable, or lacks a variable the local runner needs."""


@dataclass(frozen=True)
class ModuleDefaults:
    consumer_timeout: int
    consumer_memory_size: int
    consumer_batch_size: int
    consumer_maximum_batching_window_in_seconds: int
    consumer_maximum_concurrency: int
    consumer_max_concurrent_records: int
    queue_max_receive_count: int
    queue_visibility_timeout_seconds: int | None
    queue_message_retention_seconds: int
    dlq_message_retention_seconds: int
    archiver_timeout: int
    archiver_batch_size: int
    producer_timeout: int
    archiver_maximum_concurrency: int = OPTIONAL_VARIABLES["archiver_maximum_concurrency"]
    archiver_memory_size: int = OPTIONAL_VARIABLES["archiver_memory_size"]
    producer_memory_size: int = OPTIONAL_VARIABLES["producer_memory_size"]
    producer_max_document_bytes: int = OPTIONAL_VARIABLES["producer_max_document_bytes"]
    producer_inline_document_max_bytes: int = OPTIONAL_VARIABLES["producer_inline_document_max_bytes"]
    consumer_inline_result_max_bytes: int = OPTIONAL_VARIABLES["consumer_inline_result_max_bytes"]
    consumer_bedrock_connect_timeout_seconds: int = OPTIONAL_VARIABLES[
        "consumer_bedrock_connect_timeout_seconds"
    ]
    consumer_bedrock_read_timeout_seconds: int = OPTIONAL_VARIABLES["consumer_bedrock_read_timeout_seconds"]
    consumer_bedrock_max_attempts: int = OPTIONAL_VARIABLES["consumer_bedrock_max_attempts"]
    consumer_retry_base_delay_seconds: int = OPTIONAL_VARIABLES["consumer_retry_base_delay_seconds"]
    consumer_retry_max_delay_seconds: int = OPTIONAL_VARIABLES["consumer_retry_max_delay_seconds"]
    consumer_retry_throttled_base_delay_seconds: int = OPTIONAL_VARIABLES[
        "consumer_retry_throttled_base_delay_seconds"
    ]
    batch_min_records: int = OPTIONAL_VARIABLES["batch_min_records"]
    batch_max_records: int = OPTIONAL_VARIABLES["batch_max_records"]
    batch_max_wait_hours: int = OPTIONAL_VARIABLES["batch_max_wait_hours"]
    batch_timeout_hours: int = OPTIONAL_VARIABLES["batch_timeout_hours"]
    batch_max_jobs_in_flight: int = OPTIONAL_VARIABLES["batch_max_jobs_in_flight"]
    batch_queue_message_retention_seconds: int = OPTIONAL_VARIABLES["batch_queue_message_retention_seconds"]
    batch_submitter_timeout: int = OPTIONAL_VARIABLES["batch_submitter_timeout"]
    batch_submitter_memory_size: int = OPTIONAL_VARIABLES["batch_submitter_memory_size"]
    batch_collector_timeout: int = OPTIONAL_VARIABLES["batch_collector_timeout"]
    batch_collector_memory_size: int = OPTIONAL_VARIABLES["batch_collector_memory_size"]
    model_id: str = STRING_VARIABLES["model_id"]
    source: str = ""

    @property
    def dlq_visibility_timeout(self) -> int:
        # main.tf: dlq_visibility_timeout_seconds = 6 * var.archiver_timeout (no variable of its own).
        return derive_visibility_timeout(self.archiver_timeout, 0)

    @property
    def job_lease_seconds(self) -> int:
        # functions.tf: local.job_lease_seconds = var.consumer_timeout + 30
        return self.consumer_timeout + 30

    @property
    def effective_visibility_timeout(self) -> int:
        """What the module puts on the main queue: the override, or AWS's recommended minimum."""
        if self.queue_visibility_timeout_seconds is not None:
            return self.queue_visibility_timeout_seconds
        return derive_visibility_timeout(
            self.consumer_timeout, self.consumer_maximum_batching_window_in_seconds
        )

    def as_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["effective_visibility_timeout"] = self.effective_visibility_timeout
        return data


def derive_visibility_timeout(consumer_timeout: float, batching_window: float) -> int:
    # AWS recommends at least six times the function timeout plus the batching window, so that a
    # batch throttled and retried by the event source mapping is not redelivered while still in flight.
    return int(6 * consumer_timeout + batching_window)


def _hcl_wraps_attributes() -> bool:
    # Two distributions install the import name ``hcl2``: python-hcl2 (plain attribute values) and
    # checkov's bc-python-hcl2 (every attribute value wrapped in a one-element list). Whichever was
    # installed last wins — in this repository's venv the two are even mixed — so probe, don't assume.
    return hcl2.loads("probe = 1\n") == {"probe": [1]}


def _unquote(text: str) -> str:
    # python-hcl2 8 keeps the quotes of block labels and string literals; older parsers drop them.
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _unwrap(value: Any, wrapped: bool) -> Any:
    if wrapped and isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, str):
        if value.strip() in ("null", "${null}"):
            return None
        return _unquote(value)
    return value


def parse_variables(text: str) -> dict[str, dict[str, Any]]:
    """Every ``variable`` block of an HCL document: name -> {attribute: value} (unwrapped)."""
    wrapped = _hcl_wraps_attributes()
    document = hcl2.loads(text if text.endswith("\n") else text + "\n")
    variables: dict[str, dict[str, Any]] = {}
    for block in document.get("variable", []):
        for name, body in block.items():
            variables[_unquote(name)] = {
                key: _unwrap(value, wrapped) for key, value in body.items() if not key.startswith("__")
            }
    return variables


def find_module_dir(start: Path | None = None) -> Path:
    """The root module: ``$BEDROCK_JOBS_MODULE_DIR``, else the nearest ancestor with a variables.tf."""
    override = os.environ.get(MODULE_DIR_ENV)
    if override:
        return Path(override)
    candidates = [*(start or Path(__file__).resolve()).parents, Path.cwd()]
    for directory in candidates:
        if (directory / "variables.tf").is_file():
            return directory
    raise ModuleDefaultsError(
        f"cannot find the Terraform module's variables.tf above {Path(__file__).resolve().parent} "
        f"or in {Path.cwd()}; run from the repository or set {MODULE_DIR_ENV}"
    )


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ModuleDefaultsError(f"variable {name!r} default {value!r} is not a whole number")
    return int(value)


def defaults_from_text(text: str, source: str = "<text>") -> ModuleDefaults:
    variables = parse_variables(text)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name in VARIABLE_NAMES:
        if name not in variables:
            problems.append(f"{name}: not declared")
            continue
        if "default" not in variables[name]:
            problems.append(f"{name}: no default")
            continue
        default = variables[name]["default"]
        if default is None:
            if name not in NULLABLE:
                problems.append(f"{name}: default is null")
            values[name] = None
            continue
        try:
            values[name] = _as_int(name, default)
        except ModuleDefaultsError as exc:
            problems.append(str(exc))
    for name in OPTIONAL_VARIABLES:
        default = variables.get(name, {}).get("default")
        if default is None:
            continue
        try:
            values[name] = _as_int(name, default)
        except ModuleDefaultsError as exc:
            problems.append(str(exc))
    for name in STRING_VARIABLES:
        default = variables.get(name, {}).get("default")
        if default is None:
            continue
        if not isinstance(default, str):
            problems.append(f"variable {name!r} default {default!r} is not a string")
            continue
        values[name] = default
    if problems:
        raise ModuleDefaultsError(f"{source}: " + "; ".join(problems))
    return ModuleDefaults(**values, source=source)


def load_module_defaults(module_dir: Path | None = None) -> ModuleDefaults:
    path = Path(module_dir or find_module_dir()).resolve() / "variables.tf"
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise ModuleDefaultsError(f"cannot read {path}: {exc}") from exc
    return _load_cached(str(path), mtime)


@cache
def _load_cached(path: str, mtime_ns: int) -> ModuleDefaults:
    # Keyed on the modification time so an edited variables.tf is re-read within one process.
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ModuleDefaultsError(f"cannot read {path}: {exc}") from exc
    return defaults_from_text(text, source=path)
