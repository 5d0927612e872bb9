"""Which stack the CLI works on: the module's outputs, and AWS clients for them.

Found, in this order, from ``--outputs FILE`` (a saved ``terraform output -json``), ``--stack DIR``
(``terraform output -json`` run there; ``$TERRAFORM`` names the binary, default ``terraform``), or the
environment: ``$BEDROCK_JOBS_OUTPUTS`` (a file) or one ``BEDROCK_JOBS_<OUTPUT NAME>`` variable per output
(``BEDROCK_JOBS_QUEUE_URL``, ``BEDROCK_JOBS_JOBS_TABLE_NAME``, …). ``--region`` and ``--profile`` work as in
the AWS CLI (default: ``AWS_REGION`` / ``AWS_PROFILE`` and the shared config).

``make run ARGS="--serve"`` writes an outputs file for the embedded AWS; besides the module's outputs it
holds ``aws_endpoint_url`` (every client goes there) and ``producer_environment``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CliError

OUTPUTS_ENV = "BEDROCK_JOBS_OUTPUTS"
OUTPUT_ENV_PREFIX = "BEDROCK_JOBS_"
#: Outputs only a local ``--serve`` run writes.
LOCAL_ENDPOINT, PRODUCER_ENVIRONMENT = "aws_endpoint_url", "producer_environment"
_ENV_OUTPUTS = (
    "queue_url",
    "queue_arn",
    "dlq_url",
    "dlq_arn",
    "jobs_table_name",
    "jobs_table_failed_index_name",
    "payload_bucket_name",
    "archive_bucket_name",
    "producer_function_name",
    "alarm_names",
    "batch_queue_url",
    "batch_dlq_url",
    LOCAL_ENDPOINT,
)


@dataclass
class Stack:
    outputs: dict[str, Any]
    source: str
    region: str | None = None
    profile: str | None = None
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def get(self, name: str) -> Any:
        return self.outputs.get(name)

    def require(self, name: str) -> Any:
        value = self.outputs.get(name)
        if value in (None, "", []):
            raise CliError(f"the stack ({self.source}) has no output {name!r}")
        return value

    @property
    def endpoint_url(self) -> str | None:
        return self.outputs.get(LOCAL_ENDPOINT)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            try:
                session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            except Exception as exc:  # ProfileNotFound and friends: a usage problem, not a traceback
                raise CliError(str(exc)) from exc
            options: dict[str, Any] = {"config": Config(retries={"mode": "standard", "max_attempts": 5})}
            if self.endpoint_url:
                options["endpoint_url"] = self.endpoint_url
            if not session.region_name and not self.region:
                raise CliError("no AWS region: pass --region or set AWS_REGION")
            self._clients[service] = session.client(service, **options)
        return self._clients[service]

    def producer_environment(self) -> dict[str, str]:
        """The producer function's environment: the settings ``submit`` needs to submit as it does."""
        saved = self.outputs.get(PRODUCER_ENVIRONMENT)
        if isinstance(saved, dict):
            return {str(k): str(v) for k, v in saved.items()}
        name = self.require("producer_function_name")
        try:
            configuration = self.client("lambda").get_function_configuration(FunctionName=name)
        except Exception as exc:
            raise CliError(f"cannot read the producer's configuration ({name}): {exc}") from exc
        return dict((configuration.get("Environment") or {}).get("Variables") or {})


def _values(document: Any, source: str) -> dict[str, Any]:
    """``terraform output -json`` ({name: {"value", "type", "sensitive"}}), or plain {name: value}."""
    if not isinstance(document, dict):
        raise CliError(f"{source}: expected a JSON object of outputs")
    return {
        name: (entry["value"] if isinstance(entry, dict) and "value" in entry else entry)
        for name, entry in document.items()
    }


def _read_outputs_file(path: str) -> dict[str, Any]:
    try:
        return _values(json.loads(Path(path).read_text(encoding="utf-8")), path)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read outputs from {path}: {exc}") from exc


def _terraform_outputs(directory: str) -> dict[str, Any]:
    binary = os.environ.get("TERRAFORM", "terraform")
    if not shutil.which(binary):
        raise CliError(f"--stack needs Terraform on PATH (or $TERRAFORM); or save the outputs: {binary!r}")
    try:
        result = subprocess.run(
            [binary, "output", "-json"], cwd=directory, capture_output=True, text=True, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CliError(f"terraform output failed in {directory}: {exc}") from exc
    if result.returncode != 0:
        raise CliError(f"terraform output failed in {directory}: {result.stderr.strip()[:500]}")
    return _values(json.loads(result.stdout or "{}"), f"terraform output in {directory}")


def load_stack(args: Any) -> Stack:
    region, profile = getattr(args, "region", None), getattr(args, "profile", None)
    if getattr(args, "outputs", None):
        return Stack(_read_outputs_file(args.outputs), args.outputs, region, profile)
    if getattr(args, "stack", None):
        return Stack(_terraform_outputs(args.stack), f"terraform in {args.stack}", region, profile)
    if os.environ.get(OUTPUTS_ENV):
        return Stack(_read_outputs_file(os.environ[OUTPUTS_ENV]), f"${OUTPUTS_ENV}", region, profile)
    outputs: dict[str, Any] = {}
    for name in _ENV_OUTPUTS:
        value = os.environ.get(OUTPUT_ENV_PREFIX + name.upper())
        if value:
            outputs[name] = json.loads(value) if value.startswith("[") else value
    if not outputs:
        raise CliError(
            "no stack: pass --stack DIR or --outputs FILE, or set $BEDROCK_JOBS_OUTPUTS or "
            "BEDROCK_JOBS_<OUTPUT> variables (e.g. BEDROCK_JOBS_QUEUE_URL)"
        )
    return Stack(outputs, "environment", region, profile)
