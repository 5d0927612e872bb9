"""Amazon Bedrock Converse calls and the retryable/permanent classification of their failures.

botocore's standard retry mode already retries throttling, 5xx and connection errors inside one call
(``BEDROCK_MAX_ATTEMPTS``); what is still failing afterwards is classified here: retryable errors go
back to SQS with backoff, permanent ones fail the job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from bedrock_jobs.errors import PermanentJobError, RetryableJobError
from bedrock_jobs.tasks import TaskDefinition

RETRYABLE_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "ServiceQuotaExceededException",
        "ModelErrorException",
        "RequestTimeout",
    }
)
PERMANENT_ERROR_CODES = frozenset(
    {
        "ValidationException",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "UnrecognizedClientException",
        "ModelStreamErrorException",
    }
)
# Stop reasons that mean the model refused to produce a usable answer; retrying gives the same result.
PERMANENT_STOP_REASONS = frozenset({"guardrail_intervened", "content_filtered"})
_NETWORK_ERRORS = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)


@dataclass(frozen=True)
class ModelResult:
    text: str
    stop_reason: str
    input_tokens: int
    output_tokens: int
    latency_ms: int
    model_id: str


def build_converse_request(
    task: TaskDefinition, model_id: str, document: str, labels: list[str] | None, job_id: str
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "modelId": model_id,
        "messages": [{"role": "user", "content": [{"text": task.render_user_prompt(document, labels)}]}],
        # Shows up in Bedrock invocation logs, so a log line leads back to the job.
        "requestMetadata": {"job_id": job_id, "task": task.name},
    }
    if task.system_prompt:
        request["system"] = [{"text": task.system_prompt}]
    if task.inference_config:
        request["inferenceConfig"] = dict(task.inference_config)
    return request


class ModelClient:
    def __init__(self, bedrock_runtime: Any) -> None:
        self.bedrock_runtime = bedrock_runtime

    def converse(self, request: dict[str, Any]) -> ModelResult:
        started = time.monotonic()
        try:
            response = self.bedrock_runtime.converse(**request)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            # The message can echo input; keep only the code in the job record.
            if code in RETRYABLE_ERROR_CODES or (code not in PERMANENT_ERROR_CODES and status >= 500):
                raise RetryableJobError(f"Bedrock {code or status}") from exc
            raise PermanentJobError(f"Bedrock rejected the request: {code or status}") from exc
        except _NETWORK_ERRORS as exc:
            raise RetryableJobError(f"Bedrock unreachable: {type(exc).__name__}") from exc
        latency_ms = int(response.get("metrics", {}).get("latencyMs") or (time.monotonic() - started) * 1000)
        stop_reason = response.get("stopReason", "")
        if stop_reason in PERMANENT_STOP_REASONS:
            raise PermanentJobError(f"model stopped: {stop_reason}")
        content = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block.get("text", "") for block in content if isinstance(block, dict))
        usage = response.get("usage", {})
        return ModelResult(
            text=text,
            stop_reason=stop_reason,
            input_tokens=int(usage.get("inputTokens", 0)),
            output_tokens=int(usage.get("outputTokens", 0)),
            latency_ms=latency_ms,
            model_id=request["modelId"],
        )
