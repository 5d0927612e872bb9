"""Execution environments: one invocation at a time each, reused while warm, killed on timeout."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from bedrock_jobs_local.lambda_runtime import HandlerError, ProcessLambdaFunction


@pytest.fixture
def function():
    created: list[ProcessLambdaFunction] = []

    def make(handler: str = "tests.local.handlers.describe", timeout: float = 5.0) -> ProcessLambdaFunction:
        fn = ProcessLambdaFunction(
            "fn", handler, timeout, 256, "us-east-1", {**os.environ, "TEST_VARIABLE": "from-the-module"}
        )
        created.append(fn)
        return fn

    yield make
    for fn in created:
        fn.close()


def test_sequential_invocations_reuse_one_warm_environment(function):
    fn = function()
    answers = [fn.invoke({}).response for _ in range(3)]
    assert [a["invocation_in_environment"] for a in answers] == [1, 2, 3]
    assert len({a["pid"] for a in answers}) == 1
    assert len({a["request_id"] for a in answers}) == 3
    assert fn.cold_starts == 1


def test_concurrent_invocations_get_their_own_environments(function):
    fn = function()
    with ThreadPoolExecutor(3) as pool:
        answers = [r.response for r in pool.map(fn.invoke, [{"sleep": 0.5}] * 3)]
    assert len({a["pid"] for a in answers}) == 3
    assert all(a["invocation_in_environment"] == 1 for a in answers)
    assert fn.cold_starts == 3


def test_the_environment_has_the_functions_variables_and_a_counting_down_context(function):
    fn = function(timeout=7)
    answer = fn.invoke({"sleep": 0.05}).response
    assert answer["variable"] == "from-the-module"
    assert answer["function_name"] == "fn" and answer["memory"] == 256
    assert 0 < answer["remaining_ms"] < 7000
    assert answer["pid"] != os.getpid()


def test_a_timeout_kills_the_environment(function):
    fn = function(timeout=0.5)
    result = fn.invoke({"sleep": 30})
    assert result.timed_out and result.failed
    assert fn.killed == 1
    after = fn.invoke({})
    assert after.response["invocation_in_environment"] == 1  # a fresh environment: a cold start
    assert fn.cold_starts == 2


def test_an_exception_is_an_invocation_error_and_the_environment_survives(function):
    fn = function("tests.local.handlers.crash")
    first, second = fn.invoke({}), fn.invoke({})
    assert isinstance(first.error, HandlerError)
    assert "ValueError: boom" in str(first.error)
    assert "Traceback" in first.error.details
    assert second.failed and fn.cold_starts == 1
