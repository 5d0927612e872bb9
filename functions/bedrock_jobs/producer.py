"""Lambda handler: the jobs HTTP API (``bedrock_jobs.producer.handler``).

API Gateway HTTP API or Lambda Function URL, payload format 2.0:
* ``POST /jobs`` → ``202 {"job_id", "status"}``
* ``GET /jobs/{job_id}`` → ``200`` job, ``404`` unknown (or submitted by another caller)
Every rejection is a 4xx with ``{"error": "..."}`` and stores or enqueues nothing. A 503 whose body also
carries ``job_id`` means the job was stored but its enqueue is unconfirmed: retrying with the same
``idempotency_key`` finishes it (see ``bedrock_jobs.submission``).

Callers are identified by what API Gateway / the Function URL authenticated (``caller_identity``):
a job records a hash of its submitter (``owner``), ids derived from idempotency keys are scoped to the
submitter, and ``GET`` answers 404 to anyone but the owner of a job that has one.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from bedrock_jobs.config import get_settings
from bedrock_jobs.errors import InvalidJobRequest
from bedrock_jobs.job_store import COMPLETE, JobStore, public_view
from bedrock_jobs.messages import is_valid_job_id
from bedrock_jobs.observability import local_context, logger, metrics, tracer
from bedrock_jobs.payload_store import PayloadStore
from bedrock_jobs.submission import (
    EnqueueError,
    JobSubmitter,
    SubmitResult,
    owner_of,
    parse_request_body,
    submit_job,
    submit_jobs,
    validate_job_request,
)

__all__ = ["SubmitResult", "app", "handler", "submit_job", "submit_jobs"]

app = APIGatewayHttpResolver()


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, default=str),
        headers=headers,
    )


def _error(status: int, message: str) -> Response:
    return _json(status, {"error": message})


def caller_identity(request_context: Any) -> str | None:
    """Who sent an HTTP request (payload 2.0), as its authorizer established; ``None`` if anonymous.

    * IAM (Function URL ``AWS_IAM``, API Gateway IAM auth): the account and the principal's unique id
      (``callerId`` without a role session name), so every session of a role is the same caller, and a
      role or user recreated under the same name is not.
    * JWT authorizer: the token's issuer and subject.
    * Lambda authorizer: its whole context, so it should return stable values only.
    """
    context = request_context if isinstance(request_context, dict) else {}
    authorizer = context.get("authorizer")
    if not isinstance(authorizer, dict):
        return None
    iam = authorizer.get("iam")
    if isinstance(iam, dict):
        principal = str(iam.get("callerId") or iam.get("userId") or "").split(":", 1)[0]
        if iam.get("accountId") and principal:
            return json.dumps(["iam", str(iam["accountId"]), principal])
        if iam.get("userArn"):
            return json.dumps(["iam", str(iam["userArn"])])
    jwt = authorizer.get("jwt")
    claims = jwt.get("claims") if isinstance(jwt, dict) else None
    if isinstance(claims, dict) and claims.get("sub"):
        return json.dumps(["jwt", str(claims.get("iss") or ""), str(claims["sub"])])
    lambda_context = authorizer.get("lambda")
    if isinstance(lambda_context, dict) and lambda_context:
        return json.dumps(["lambda", lambda_context], sort_keys=True, default=str)
    return None


def _caller() -> str | None:
    return caller_identity(app.current_event.raw_event.get("requestContext"))


def _correlation_id() -> str:
    headers = app.current_event.headers or {}
    supplied = headers.get("x-correlation-id") or headers.get("X-Correlation-Id")
    return (supplied or str(uuid.uuid4()))[:128]


@app.post("/jobs")
@tracer.capture_method(capture_response=False)
def create_job() -> Response:
    event = app.current_event
    try:
        body = event.decoded_body or ""
    except (UnicodeDecodeError, ValueError):
        return _error(400, "request body must be JSON")
    payload = parse_request_body(body)
    correlation_id = _correlation_id()
    logger.set_correlation_id(correlation_id)
    settings = get_settings()
    request = dataclasses.replace(validate_job_request(payload, settings, correlation_id), caller=_caller())
    try:
        result = JobSubmitter(settings).submit(request)
    except EnqueueError as exc:
        if exc.kept:
            return _json(503, {"error": _unconfirmed_message(request.idempotency_key), "job_id": exc.job_id})
        logger.error("enqueue refused; nothing stored", extra={"error": str(exc)})
        return _error(503, "the job could not be queued; nothing was stored, please retry")
    if not result.ok:
        return _error(result.status_code, result.error or "rejected")
    logger.info(
        "job accepted", extra={"job_id": result.job_id, "task": request.task, "job_created": result.created}
    )
    return _json(
        202,
        {"job_id": result.job_id, "status": result.status},
        headers={"x-correlation-id": correlation_id, "location": f"/jobs/{result.job_id}"},
    )


def _unconfirmed_message(idempotency_key: str | None) -> str:
    if idempotency_key:
        return (
            "the job was stored but the queue did not confirm it; "
            "retry with the same idempotency_key to finish queueing it"
        )
    # Without a key a retry is a new job; this one runs too if the queue did take it.
    return (
        "the job was stored but the queue did not confirm it: it may still run (GET /jobs/{job_id}); "
        "a resubmission creates a new job, so send an idempotency_key to make retries safe"
    )


@app.get("/jobs/<job_id>")
@tracer.capture_method(capture_response=False)
def get_job(job_id: str) -> Response:
    if not is_valid_job_id(job_id):
        return _error(404, f"job {job_id[:128]!r} not found")
    settings = get_settings()
    settings.require("jobs_table")
    job = JobStore(settings.jobs_table or "").get(job_id)
    # Another caller's job is reported exactly like an unknown one: its existence is not revealed.
    if job is None or (job.get("owner") and job["owner"] != owner_of(_caller())):
        return _error(404, f"job {job_id!r} not found")
    view = public_view(job)
    if job.get("status") == COMPLETE and job.get("result_uri"):
        view["result_url"] = PayloadStore(settings.payload_bucket).presigned_url(job["result_uri"])
    return _json(200, view)


@app.not_found
def not_found(_: Exception) -> Response:
    event = app.current_event
    return _error(
        404,
        f"no route for {event.request_context.http.method} {event.path}; "
        "use POST /jobs or GET /jobs/{job_id}",
    )


@app.exception_handler(InvalidJobRequest)
def invalid_request(exc: InvalidJobRequest) -> Response:
    return _error(exc.status_code, exc.message)


@app.exception_handler(Exception)
def unexpected(exc: Exception) -> Response:
    logger.exception("unhandled error")
    return _error(500, "internal error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def _handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


NOT_HTTP_MESSAGE = "not an HTTP request (payload format 2.0): use POST /jobs, or submit_job() in code"


def _is_http_request(event: Any) -> bool:
    """An API Gateway HTTP API / Function URL event, payload format 2.0, with the parts the resolver
    reads shaped as those services send them (a hand-made event that gets one wrong is not a request)."""
    if not (isinstance(event, dict) and event.get("version") == "2.0"):
        return False
    context = event.get("requestContext")
    http = context.get("http") if isinstance(context, dict) else None
    headers = event.get("headers") or {}
    return (
        isinstance(http, dict)
        and isinstance(http.get("method"), str)
        and isinstance(event.get("rawPath"), str)
        and isinstance(headers, dict)
        and all(isinstance(value, str) for value in headers.values())
        and isinstance(event.get("body"), str | None)
    )


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point; also callable with no context (scripts, other services' tests).

    Anything but an HTTP request (a direct ``aws lambda invoke``, a test event, another trigger) gets
    the API's error shape, never an exception: submit from code with ``submit_job``/``submit_jobs``.
    """
    if not _is_http_request(event):
        return {
            "statusCode": 400,
            "headers": {"Content-Type": content_types.APPLICATION_JSON},
            "body": json.dumps({"error": NOT_HTTP_MESSAGE}),
        }
    return _handle(event, context if context is not None else local_context())
