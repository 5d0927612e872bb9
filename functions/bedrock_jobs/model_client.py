"""Amazon Bedrock Converse calls and the retryable/permanent classification of their failures.

botocore's standard retry mode already retries throttling, 5xx and connection errors inside one call
(``BEDROCK_MAX_ATTEMPTS``); what is still failing afterwards is classified here: retryable errors go
back to SQS with backoff, permanent ones fail the job.

botocore knows nothing of the Lambda deadline, so a ``needs-retry`` hook vetoes a retry that could
not finish before the record's deadline (worst-case backoff + connect + read timeout): the record
then goes back to SQS instead of being cut off by the function timeout half-way through an attempt.
"""

from __future__ import annotations

import threading
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

from bedrock_jobs.errors import ModelThrottledError, PermanentJobError, RetryableJobError, SystemicError
from bedrock_jobs.tasks import Guardrail, TaskDefinition

# Bedrock is out of capacity for the account: retried with the long throttle backoff.
THROTTLING_ERROR_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"}
)
RETRYABLE_ERROR_CODES = THROTTLING_ERROR_CODES | frozenset(
    {
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "ModelErrorException",
        "RequestTimeout",
    }
)
# The deployment is wrong (no model access, model or profile missing, bad credentials): every job would
# fail alike, so jobs are kept and one alarm pages (errors.SystemicError).
SYSTEMIC_ERROR_CODES = frozenset(
    {
        "AccessDeniedException",
        "ResourceNotFoundException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
    }
)
# The request itself can never succeed (input-caused): the job fails without a page.
PERMANENT_ERROR_CODES = frozenset({"ValidationException", "ModelStreamErrorException"})
# Stop reasons that mean the model refused to produce a usable answer; retrying gives the same result.
PERMANENT_STOP_REASONS = frozenset({"guardrail_intervened", "content_filtered"})
_NETWORK_ERRORS = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)
_RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})

# The deadline (time.monotonic) of the record this thread is processing; records run on parallel threads.
_record_deadline = threading.local()


class NoTimeToRetryError(Exception):
    """Raised from botocore's retry loop when another attempt would overrun the record's deadline."""

    def __init__(self, failure: str) -> None:
        super().__init__(failure)
        self.failure = failure


def _failure_of(response: Any, caught_exception: Exception | None) -> str | None:
    """What a failed attempt was, if standard retry mode would retry it; ``None`` otherwise."""
    if caught_exception is not None:
        return type(caught_exception).__name__
    if not response:
        return None
    http_response, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code", "")
    if http_response.status_code in _RETRIED_STATUS or code in RETRYABLE_ERROR_CODES:
        return code or str(http_response.status_code)
    return None


def _deadline_guard(max_attempts: int, attempt_seconds: float) -> Any:
    def veto_late_retry(
        attempts: int, response: Any = None, caught_exception: Exception | None = None, **_: Any
    ) -> None:
        deadline = getattr(_record_deadline, "value", None)
        if deadline is None or attempts >= max_attempts:
            return None
        failure = _failure_of(response, caught_exception)
        # Standard mode waits at most min(20, 2^attempt) seconds before the next attempt.
        if failure and time.monotonic() + min(20.0, 2.0**attempts) + attempt_seconds > deadline:
            raise NoTimeToRetryError(failure)
        return None

    return veto_late_retry


@dataclass(frozen=True)
class ModelResult:
    text: str
    stop_reason: str
    input_tokens: int
    output_tokens: int
    latency_ms: int
    model_id: str


def build_converse_request(
    task: TaskDefinition,
    model_id: str,
    document: str,
    labels: list[str] | None,
    job_id: str,
    guardrail: Guardrail | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "modelId": model_id,
        "messages": [{"role": "user", "content": [{"text": task.render_user_prompt(document, labels)}]}],
        # Shows up in Bedrock invocation logs, so a log line leads back to the job.
        "requestMetadata": {"job_id": job_id, "task": task.name},
    }
    if task.system_prompt:
        request["system"] = [{"text": task.system_prompt}]
    # For a labelling task, maxTokens is raised so that the reply can spell the longest label.
    inference = task.inference_config_for(labels)
    if inference:
        request["inferenceConfig"] = inference
    if guardrail is not None:
        # UG "Use a guardrail with the Converse API": the guardrail evaluates the messages and the
        # model's reply; an intervention comes back as stopReason guardrail_intervened.
        request["guardrailConfig"] = guardrail.converse_config()
    return request


def guardrail_stop_reason(request: dict[str, Any], stop_reason: str) -> str:
    """The job's failure reason for a guardrail or content-filter stop: names the guardrail the request
    carried (id and version, never the blocked text) so the operator knows which one to look at."""
    config = request.get("guardrailConfig")
    if not config:
        return f"model stopped: {stop_reason}"
    identifier = str(config.get("guardrailIdentifier", "")).rsplit("/", 1)[-1]
    version = config.get("guardrailVersion")
    return f"guardrail {identifier}:{version} intervened (model stopped: {stop_reason})"


class ModelClient:
    def __init__(self, bedrock_runtime: Any) -> None:
        self.bedrock_runtime = bedrock_runtime
        config = getattr(getattr(bedrock_runtime, "meta", None), "config", None)
        if config is not None:
            retries = config.retries or {}
            max_attempts = int(retries.get("total_max_attempts") or retries.get("max_attempts", 2) + 1)
            attempt_seconds = float(config.connect_timeout or 60) + float(config.read_timeout or 60)
            # unique_id: registered once per client, however many ModelClients wrap it.
            bedrock_runtime.meta.events.register(
                "needs-retry.bedrock-runtime.Converse",
                _deadline_guard(max_attempts, attempt_seconds),
                unique_id="bedrock-jobs-deadline-guard",
            )

    def converse(self, request: dict[str, Any], deadline: float | None = None) -> ModelResult:
        """Call Converse; ``deadline`` (``time.monotonic()`` value) bounds botocore's retries."""
        started = time.monotonic()
        _record_deadline.value = deadline
        try:
            response = self.bedrock_runtime.converse(**request)
        except NoTimeToRetryError as exc:
            if exc.failure in THROTTLING_ERROR_CODES:
                raise ModelThrottledError(f"Bedrock {exc.failure}; no time left for another attempt") from exc
            raise RetryableJobError(f"Bedrock {exc.failure}; no time left for another attempt") from exc
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            # The message can echo input; keep only the code in the job record.
            if code in THROTTLING_ERROR_CODES or (status == 429 and code not in RETRYABLE_ERROR_CODES):
                raise ModelThrottledError(f"Bedrock {code or status}") from exc
            if code in SYSTEMIC_ERROR_CODES or status in (401, 403):
                raise SystemicError(f"Bedrock {code or status}: check the model id and model access") from exc
            if code in RETRYABLE_ERROR_CODES or (code not in PERMANENT_ERROR_CODES and status >= 500):
                raise RetryableJobError(f"Bedrock {code or status}") from exc
            raise PermanentJobError(
                f"Bedrock rejected the request: {code or status}", kind="model_validation"
            ) from exc
        except _NETWORK_ERRORS as exc:
            raise RetryableJobError(f"Bedrock unreachable: {type(exc).__name__}") from exc
        finally:
            _record_deadline.value = None
        latency_ms = int(response.get("metrics", {}).get("latencyMs") or (time.monotonic() - started) * 1000)
        stop_reason = response.get("stopReason", "")
        if stop_reason in PERMANENT_STOP_REASONS:
            # The reply is the guardrail's blocked message, not an answer; asking again gives the same.
            raise PermanentJobError(guardrail_stop_reason(request, stop_reason), kind="guardrail")
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
