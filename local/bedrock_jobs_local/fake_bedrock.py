"""A local stand-in for the Bedrock runtime Converse API, served over real HTTP.

Clients reach it through ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, so botocore's own serialisation,
error parsing and retry layer run exactly as they would against AWS. Answers are deterministic
functions of the prompt: ``summarize`` returns the document's leading sentences, ``classify`` picks
one of the ``<labels>`` by keyword overlap.

Faults are injected three ways, all optional:
- ``script``: an explicit queue of outcomes for the next calls (``"throttle"``, ``"error"``,
  ``"unavailable"``, ``"timeout"``, ``"validation"``, ``"not_ready"``, ``"guardrail"``, ``"access_denied"``,
  ``"ok"``);
- rates (``throttle_rate``, ``error_rate``, ``timeout_rate``) drawn from a seeded RNG;
- documents containing ``poison_marker`` (always a 500) or ``invalid_marker`` (always a 400).

A request carrying a ``guardrailConfig`` is checked as the Converse API checks it (both fields, their
patterns, ``trace``'s values; a 400 ``ValidationException`` otherwise); when its document contains
``guardrail_marker`` the guardrail intervenes: stop reason ``guardrail_intervened`` and the guardrail's
blocked message as the reply, the shape Converse answers with (UG "Use a guardrail with the Converse
API"). Without a ``guardrailConfig`` the marker does nothing, as no guardrail would see it.

A classify document containing ``off_label_marker`` gets a reply that is none of the labels, as a real
model sometimes gives. With ``honour_max_tokens`` a reply longer than ``inferenceConfig.maxTokens``
(at the fake's four characters per token) is cut there with stop reason ``max_tokens``, as Bedrock does.
Each call's prompt (its first ``PROMPT_LOG_CHARS`` characters) and the labels the fake read from it are
kept in ``calls``, so tests can check what the model was shown.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

FAULTS = (
    "ok",
    "throttle",
    "error",
    "unavailable",
    "timeout",
    "validation",
    "not_ready",
    "guardrail",
    "access_denied",
)

_ERRORS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "error": (500, "InternalServerException", "The server encountered an internal error."),
    "unavailable": (503, "ServiceUnavailableException", "Service is temporarily unavailable."),
    "validation": (400, "ValidationException", "The provided input is invalid for this model."),
    "not_ready": (429, "ModelNotReadyException", "The model is not ready to serve requests."),
    # A deployment mistake: no model access granted, or the role lacks bedrock:InvokeModel.
    "access_denied": (
        403,
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
}

_DOCUMENT = re.compile(r"<document>\s*(.*?)\s*</document>", re.DOTALL)
_LABELS = re.compile(r"<labels>\s*(.*?)\s*</labels>", re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")
# Enough to inspect a test's prompt; bounded so thousands of recorded calls stay small.
PROMPT_LOG_CHARS = 4000
OFF_LABEL_REPLY = "None of the given labels fits this document."
#: What the fake's guardrail answers with (a real one answers with its blocked_input_messaging).
GUARDRAIL_BLOCKED_MESSAGE = "Sorry, the model cannot answer this."
# API_runtime_GuardrailConfiguration: identifier (id or guardrail ARN, ≤ 2048), version, trace.
_GUARDRAIL_ID = re.compile(
    r"(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))"
)
_GUARDRAIL_VERSION = re.compile(r"(([1-9][0-9]{0,7})|(DRAFT))")
_GUARDRAIL_TRACE = frozenset({"enabled", "disabled", "enabled_full"})


def guardrail_config_error(config: Any) -> str | None:
    """Why Converse would refuse this ``guardrailConfig`` (a ValidationException message), or None."""
    if not isinstance(config, dict):
        return "guardrailConfig must be an object"
    unknown = set(config) - {"guardrailIdentifier", "guardrailVersion", "trace"}
    if unknown:
        return f"guardrailConfig has unknown fields {sorted(unknown)}"
    identifier, version = config.get("guardrailIdentifier"), config.get("guardrailVersion")
    if not isinstance(identifier, str) or not identifier:
        return "guardrailConfig.guardrailIdentifier is required"
    if len(identifier) > 2048 or not _GUARDRAIL_ID.fullmatch(identifier):
        return "guardrailConfig.guardrailIdentifier does not match the guardrail id or ARN pattern"
    if not isinstance(version, str) or not version:
        return "guardrailConfig.guardrailVersion is required with a guardrailIdentifier"
    if not _GUARDRAIL_VERSION.fullmatch(version):
        return "guardrailConfig.guardrailVersion must be DRAFT or a version number"
    if "trace" in config and config["trace"] not in _GUARDRAIL_TRACE:
        return f"guardrailConfig.trace must be one of {sorted(_GUARDRAIL_TRACE)}"
    return None


@dataclass(frozen=True)
class ConverseCall:
    """One request the fake received and what it answered."""

    model_id: str
    job_id: str | None
    task: str | None
    outcome: str
    status: int
    document: str
    prompt: str = ""
    labels: tuple[str, ...] = ()
    #: ``time.monotonic()`` when the request arrived (the chaos run matches calls to crashed invocations).
    at: float = 0.0


@dataclass
class FakeBedrockConfig:
    latency_seconds: float = 0.0
    latency_jitter_seconds: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    # A "timeout" answer sleeps this long before replying, which must exceed the client's read timeout.
    timeout_seconds: float = 5.0
    poison_marker: str = "POISON"
    invalid_marker: str = "INVALID-INPUT"
    off_label_marker: str = "OFF-LABEL"
    guardrail_marker: str = "GUARDRAIL-BLOCK"
    honour_max_tokens: bool = False
    # Longest summary the fake writes; raise it to get results of any size.
    summary_chars: int = 280
    seed: int = 7
    script: list[str] = field(default_factory=list)


def _token_count(text: str) -> int:
    # Roughly four characters per token, like the Bedrock console's estimate.
    return max(1, (len(text) + 3) // 4)


def summarize(document: str, max_chars: int = 280) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", document.strip())
    summary = ""
    for sentence in sentences:
        if summary and len(summary) + len(sentence) + 1 > max_chars:
            break
        summary = f"{summary} {sentence}".strip()
    return summary[:max_chars] or "(empty document)"


def classify(document: str, labels: list[str]) -> str:
    if not labels:
        return "unknown"
    words = Counter(_WORD.findall(document.lower()))

    def score(label: str) -> tuple[int, str]:
        return (sum(words[w] for w in _WORD.findall(label.lower())), label)

    best = max(labels, key=score)
    if score(best)[0] == 0:
        # No overlap: a stable choice, so reruns give the same answer.
        digest = int(hashlib.sha256(document.encode()).hexdigest(), 16)
        best = labels[digest % len(labels)]
    return best


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A caller that went away (a crashed or killed Lambda environment) is not the server's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeBedrock:
    """Threaded HTTP server; use as a context manager or call ``start``/``stop``."""

    def __init__(self, config: FakeBedrockConfig | None = None, **overrides: Any) -> None:
        self.config = config or FakeBedrockConfig(**overrides)
        self._rng = random.Random(self.config.seed)
        self._script: deque[str] = deque(self.config.script)
        self._lock = threading.Lock()
        self.calls: list[ConverseCall] = []
        self._server: ThreadingHTTPServer | None = None
        self._in_flight = 0
        # Highest number of requests being answered at the same moment: proves callers run in parallel.
        self.max_in_flight = 0
        self._thread: threading.Thread | None = None
        #: Called with the job id right after a successful answer went out (the chaos run's crash hook).
        self.on_answer: Callable[[str | None], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeBedrock:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-bedrock",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBedrock:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint_url(self) -> str:
        assert self._server, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- test helpers ----------------------------------------------------------------------------
    def push_script(self, *outcomes: str) -> None:
        unknown = set(outcomes) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown outcomes {sorted(unknown)}; choose from {FAULTS}")
        with self._lock:
            self._script.extend(outcomes)

    def successful_calls_by_job(self) -> Counter[str]:
        with self._lock:
            return Counter(c.job_id or "" for c in self.calls if c.status == 200 and c.outcome == "ok")

    def calls_for(self, job_id: str) -> list[ConverseCall]:
        with self._lock:
            return [c for c in self.calls if c.job_id == job_id]

    # -- request handling ------------------------------------------------------------------------
    def _choose_outcome(self, document: str, guarded: bool = False) -> str:
        with self._lock:
            if self._script:
                return self._script.popleft()
            draw = self._rng.random()
        if guarded and self.config.guardrail_marker and self.config.guardrail_marker in document:
            return "guardrail"
        if self.config.poison_marker and self.config.poison_marker in document:
            return "error"
        if self.config.invalid_marker and self.config.invalid_marker in document:
            return "validation"
        c = self.config
        if draw < c.throttle_rate:
            return "throttle"
        if draw < c.throttle_rate + c.error_rate:
            return "error"
        if draw < c.throttle_rate + c.error_rate + c.timeout_rate:
            return "timeout"
        return "ok"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        match = re.fullmatch(r"/model/(.+)/converse", request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        if not match:
            self._send(request, 404, {"message": f"unknown path {request.path}"}, "UnknownOperationException")
            return
        model_id = unquote(match.group(1))
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(request, 400, {"message": "body is not JSON"}, "ValidationException")
            return
        prompt = "\n".join(
            block.get("text", "")
            for message in body.get("messages", [])
            for block in message.get("content", [])
            if isinstance(block, dict)
        )
        doc_match = _DOCUMENT.search(prompt)
        document = doc_match.group(1) if doc_match else prompt
        metadata = body.get("requestMetadata") or {}

        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            self._answer(request, model_id, body, prompt, document, metadata)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(
        self,
        request: BaseHTTPRequestHandler,
        model_id: str,
        body: dict[str, Any],
        prompt: str,
        document: str,
        metadata: dict[str, Any],
    ) -> None:
        job_id, task = metadata.get("job_id"), metadata.get("task")
        if "guardrailConfig" in body:
            problem = guardrail_config_error(body["guardrailConfig"])
            if problem:
                self._record(model_id, job_id, task, "validation", 400, document, prompt)
                self._send(request, 400, {"message": problem}, "ValidationException")
                return
        outcome = self._choose_outcome(document, guarded="guardrailConfig" in body)
        labels_match = _LABELS.search(prompt)
        labels = [x.strip() for x in (labels_match.group(1) if labels_match else "").split(",")]
        labels = [x for x in labels if x]
        # Recorded on arrival: a caller that times out has still made the call.
        self._record(
            model_id, job_id, task, outcome, _ERRORS.get(outcome, (200,))[0], document, prompt, labels
        )
        delay = self.config.latency_seconds
        if self.config.latency_jitter_seconds:
            with self._lock:
                delay += self._rng.uniform(0, self.config.latency_jitter_seconds)
        if outcome == "timeout":
            delay = max(delay, self.config.timeout_seconds)
        if delay:
            time.sleep(delay)

        status = 200
        if outcome in _ERRORS:
            status, error_type, message = _ERRORS[outcome]
            self._send(request, status, {"message": message}, error_type)
            return
        if outcome == "guardrail":
            text, stop_reason = GUARDRAIL_BLOCKED_MESSAGE, "guardrail_intervened"
        else:
            if labels_match or task == "classify":
                off_label = self.config.off_label_marker and self.config.off_label_marker in document
                text = OFF_LABEL_REPLY if off_label else classify(document, labels)
            else:
                text = summarize(
                    document, max_chars=int(metadata.get("summary_chars", self.config.summary_chars))
                )
            stop_reason = "end_turn"
            max_tokens = (body.get("inferenceConfig") or {}).get("maxTokens")
            if self.config.honour_max_tokens and max_tokens and _token_count(text) > max_tokens:
                text, stop_reason = text[: int(max_tokens) * 4], "max_tokens"
        in_tokens = _token_count(prompt + "".join(b.get("text", "") for b in body.get("system", [])))
        out_tokens = _token_count(text)
        self._send(
            request,
            200,
            {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": stop_reason,
                "usage": {
                    "inputTokens": in_tokens,
                    "outputTokens": out_tokens,
                    "totalTokens": in_tokens + out_tokens,
                },
                "metrics": {"latencyMs": int(delay * 1000)},
            },
        )
        if self.on_answer is not None and outcome == "ok":
            self.on_answer(job_id)

    def _record(
        self,
        model_id: str,
        job_id: str | None,
        task: str | None,
        outcome: str,
        status: int,
        document: str,
        prompt: str = "",
        labels: list[str] | None = None,
    ) -> None:
        call = ConverseCall(
            model_id,
            job_id,
            task,
            outcome,
            status,
            document[:200],
            prompt=prompt[:PROMPT_LOG_CHARS],
            labels=tuple(labels or ()),
            at=time.monotonic(),
        )
        with self._lock:
            self.calls.append(call)

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], error_type: str | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            if error_type:
                request.send_header("x-amzn-ErrorType", f"{error_type}:http://internal.amazon.com/")
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (read timeout); nothing to answer
