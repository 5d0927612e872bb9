"""boto3 clients, created the standard way (so ``AWS_ENDPOINT_URL*`` redirect them) and cached.

Timeout arithmetic (defaults; the consumer's function timeout is 50 s):

* Bedrock: ``BEDROCK_MAX_ATTEMPTS`` (2) × (connect 2 s + read 20 s) + ≤ 2 s backoff ≈ 46 s, plus ~3 s of
  DynamoDB/S3/SNS work ⇒ one record needs at most ~49 s once started, which fits the 50 s timeout.
  The consumer starts a record only while that much invocation time remains (the deadline guard),
  so a slow model call never gets cut off half-way by the Lambda timeout.
* Everything else (DynamoDB, SQS, S3, SNS): connect 2 s, read 5 s, 3 attempts in standard mode ⇒ a
  single call is bounded by ~25 s even in the worst case and usually takes milliseconds.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_clients: dict[tuple[str, str, tuple[str | None, ...]], Any] = {}
_session: boto3.session.Session | None = None
_session_environment: tuple[str | None, ...] | None = None

# What decides where a client connects and as whom: a change makes new clients (tests, local runs);
# in Lambda these never change, so clients are created once per container.
_CONNECTION_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE",
                         "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN")  # fmt: skip


def _connection_environment(service: str) -> tuple[str | None, ...]:
    service_endpoint = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    return tuple(os.environ.get(name) for name in (*_CONNECTION_VARIABLES, service_endpoint))


DEFAULT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
    # Lambda runs up to MAX_CONCURRENT_RECORDS threads that share one client per service.
    max_pool_connections=50,
)


def client(service: str, **config: Any) -> Any:
    """A cached client for ``service``; ``config`` overrides botocore Config fields."""
    global _session, _session_environment
    environment = _connection_environment(service)
    key = (service, repr(sorted(config.items())), environment)
    cached = _clients.get(key)
    if cached is not None:
        return cached
    with _lock:
        if key not in _clients:
            # One session shared by the threads: boto3's default session is not safe to create
            # clients from concurrently. A new one when credentials or region change.
            session_environment = environment[:-1]
            if _session is None or _session_environment != session_environment:
                _session = boto3.session.Session()
                _session_environment = session_environment
            merged = DEFAULT_CONFIG.merge(Config(**config)) if config else DEFAULT_CONFIG
            _clients[key] = _session.client(service, config=merged)
        return _clients[key]


def bedrock_runtime(connect_timeout: float, read_timeout: float, max_attempts: int) -> Any:
    return client(
        "bedrock-runtime",
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )


def clear() -> None:
    global _session, _session_environment
    with _lock:
        _clients.clear()
        _session = None
        _session_environment = None
