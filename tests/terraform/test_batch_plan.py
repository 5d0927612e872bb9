"""Batch mode and scheduled jobs, on ``terraform show -json`` plans and offline-applied states of the
root module with its defaults (batch_enabled = false) and of tests/terraform/fixtures/batch-stack
(batch on, one EventBridge rule, the S3 trigger and one schedule per mode, a customer managed key).

The applied state renders the IAM documents (the offline provider fills ARNs with placeholders shaped
like the real ones), so trust and identity policies are checked as AWS would receive them.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from bedrock_jobs_local.fake_bedrock import FakeBedrock

from tests.conftest import AwsResources
from tests.support.jobs import run_consumer, send
from tests.terraform.plan_helpers import (
    REPO_ROOT,
    Plan,
    Workspace,
    as_list,
    module_instance,
    rendered_statements,
    session_workspace,
    state_resources,
)
from tests.terraform.test_function_environment import environment_read
from tests.terraform.unique_names import name_collisions
from tests.terraform_offline import OfflineTerraform

pytestmark = pytest.mark.terraform

STACK = "tests/terraform/fixtures/batch-stack"
M = "module.bedrock_jobs"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
ACCOUNT, REGION = "123456789012", "eu-west-1"
HANDLERS = {
    "batch_submitter": "bedrock_jobs.batch_submitter.handler",
    "batch_collector": "bedrock_jobs.batch_collector.handler",
}
# SPEC "Batch mode" and the issue: what the two functions are given whatever their code reads.
BATCH_ENV = {
    "BATCH_QUEUE_URL",
    "BATCH_ROLE_ARN",
    "BATCH_BUCKET",
    "BATCH_MIN_RECORDS",
    "BATCH_MAX_RECORDS",
    "BATCH_MAX_WAIT_HOURS",
    "BATCH_TIMEOUT_HOURS",
    "BATCH_MAX_JOBS_IN_FLIGHT",
    "JOBS_TABLE",
    "QUEUE_URL",
    "PAYLOAD_BUCKET",
    "RESULTS_TOPIC_ARN",
    "MODEL_ID",
    "TASKS_CONFIG",
    "ALLOWED_MODEL_IDS",
    "INLINE_RESULT_MAX_BYTES",
}
# Anything named after batch mode or the schedules: none of it may exist with batch_enabled = false.
BATCH_ADDRESS = re.compile(r"batch|schedule")


@pytest.fixture(scope="module")
def workspace(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return session_workspace(offline_terraform, tmp_path_factory.mktemp("tf-workspace"))


@pytest.fixture(scope="module")
def plan(workspace: Workspace) -> Plan:
    return workspace.plan(STACK)


@pytest.fixture(scope="module")
def state(workspace: Workspace, plan: Plan) -> dict[str, Any]:
    """Offline apply of the batch stack. The queues' policies are left out as in
    Workspace.applied_state (the offline provider's rule ARNs do not pass the queue module's check)."""
    targets = [
        c["address"]
        for c in plan.changes
        if not (
            re.search(r"module\.(batch_)?queue(\[0\])?$", module_instance(c["address"]))
            and c["type"] in ("aws_sqs_queue_policy", "aws_iam_policy_document")
        )
    ]
    cwd = workspace.path(STACK)
    workspace.tf.check(
        ["apply", "-no-color", "-input=false", "-auto-approve", "-lock=false"]
        + [f"-target={t}" for t in targets],
        cwd,
    )
    return json.loads(workspace.tf.check(["show", "-json", "-no-color"], cwd).stdout)


def one(resources: dict[str, Any], address: str) -> dict[str, Any]:
    assert address in resources, f"{address} not in {sorted(resources)}"
    return resources[address]


def statements_by_sid(state: dict[str, Any], address: str) -> dict[str, dict[str, Any]]:
    policy = one(state_resources(state, "aws_iam_role_policy"), address)["policy"]
    return {s["Sid"]: s for s in rendered_statements(policy)}


def env(state: dict[str, Any], function: str) -> dict[str, str]:
    values = one(
        state_resources(state, "aws_lambda_function"), f"{M}.module.{function}.aws_lambda_function.this"
    )
    return values["environment"][0]["variables"]


def queue_arns(state: dict[str, Any]) -> tuple[str, str]:
    queues = state_resources(state, "aws_sqs_queue")
    main = one(queues, f"{M}.module.queue.aws_sqs_queue.this")["arn"]
    batch = one(queues, f"{M}.module.batch_queue[0].aws_sqs_queue.this")["arn"]
    return main, batch


# ------------------------------------------------------------------------------------------
# The switch
# ------------------------------------------------------------------------------------------


def test_batch_disabled_creates_nothing_of_batch_mode(workspace: Workspace) -> None:
    root = workspace.plan(".")
    found = [c["address"] for c in root.changes if BATCH_ADDRESS.search(c["address"])]
    assert found == []
    assert root.addresses("aws_scheduler_schedule") == []
    assert len(root.addresses("aws_lambda_function")) == 3
    producer = root.values("module.producer.aws_lambda_function.this")["environment"][0]["variables"]
    assert producer["DEFAULT_MODE"] == "realtime"
    # Set but empty: the producer refuses batch jobs when there is no batch queue.
    assert producer["BATCH_QUEUE_URL"] == ""
    producer_doc = root.values("module.producer.data.aws_iam_policy_document.this")
    assert "EnqueueBatchJobs" not in {s.get("sid") for s in producer_doc["statement"]}


def test_batch_enabled_creates_the_batch_resources(plan: Plan) -> None:
    addresses = {c["address"] for c in plan.changes}
    expected = {
        f"{M}.module.batch_queue[0].aws_sqs_queue.this",
        f"{M}.module.batch_queue[0].aws_sqs_queue.dlq",
        f"{M}.module.batch_submitter[0].aws_lambda_function.this",
        f"{M}.module.batch_collector[0].aws_lambda_function.this",
        f"{M}.aws_iam_role.batch_bedrock[0]",
        f"{M}.aws_cloudwatch_event_rule.batch_job_state_change[0]",
        f"{M}.aws_lambda_permission.batch_job_state_change[0]",
        f'{M}.aws_scheduler_schedule.batch["submit"]',
        f'{M}.aws_scheduler_schedule.batch["collect"]',
        f'{M}.aws_scheduler_schedule.jobs["daily-digest"]',
        f'{M}.aws_scheduler_schedule.jobs["weekly-classify"]',
        f"{M}.aws_iam_role.schedules[0]",
    }
    assert expected <= addresses, sorted(expected - addresses)
    # The submitter and collector are scheduled and event-driven, never SQS-triggered.
    mappings = plan.addresses("aws_lambda_event_source_mapping")
    assert [a for a in mappings if "batch" in a] == []


# ------------------------------------------------------------------------------------------
# Batch queue and functions
# ------------------------------------------------------------------------------------------


def test_batch_queue_is_encrypted_and_keeps_waiting_jobs(plan: Plan, state: dict[str, Any]) -> None:
    queue = plan.values(f"{M}.module.batch_queue[0].aws_sqs_queue.this")
    dlq = plan.values(f"{M}.module.batch_queue[0].aws_sqs_queue.dlq")
    assert queue["name"] == "batchy-batch" and dlq["name"] == "batchy-batch-dlq"
    assert queue["kms_master_key_id"] == KEY and dlq["kms_master_key_id"] == KEY
    # Each submitter run receives every waiting message once: only 1000 receives dead-letter one.
    redrive = one(
        state_resources(state, "aws_sqs_queue_redrive_policy"),
        f"{M}.module.batch_queue[0].aws_sqs_queue_redrive_policy.this",
    )
    policy = json.loads(redrive["redrive_policy"])
    assert policy["maxReceiveCount"] == 1000
    assert (
        policy["deadLetterTargetArn"]
        == one(state_resources(state, "aws_sqs_queue"), f"{M}.module.batch_queue[0].aws_sqs_queue.dlq")["arn"]
    )


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_batch_functions_run_their_handlers_with_the_batch_settings(
    plan: Plan, state: dict[str, Any], function: str
) -> None:
    values = plan.values(f"{M}.module.{function}[0].aws_lambda_function.this")
    assert values["handler"] == HANDLERS[function]
    assert values["function_name"] == f"batchy-{function.replace('_', '-')}"
    variables = env(state, f"{function}[0]")
    assert set(variables) >= BATCH_ENV, sorted(BATCH_ENV - set(variables))
    assert {k: variables[k] for k in ("BATCH_MIN_RECORDS", "BATCH_MAX_RECORDS", "BATCH_TIMEOUT_HOURS")} == {
        "BATCH_MIN_RECORDS": "200",
        "BATCH_MAX_RECORDS": "20000",
        "BATCH_TIMEOUT_HOURS": "48",
    }
    assert variables["BATCH_MAX_WAIT_HOURS"] == "12" and variables["BATCH_MAX_JOBS_IN_FLIGHT"] == "4"
    queues = state_resources(state, "aws_sqs_queue")
    assert variables["BATCH_QUEUE_URL"] == one(queues, f"{M}.module.batch_queue[0].aws_sqs_queue.this")["url"]
    assert variables["QUEUE_URL"] == one(queues, f"{M}.module.queue.aws_sqs_queue.this")["url"]
    role = one(state_resources(state, "aws_iam_role"), f"{M}.aws_iam_role.batch_bedrock[0]")
    assert variables["BATCH_ROLE_ARN"] == role["arn"]
    assert variables["BATCH_BUCKET"] == variables["PAYLOAD_BUCKET"]


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_every_setting_a_batch_handler_reads_is_set(state: dict[str, Any], function: str) -> None:
    # The handlers are written alongside this module; once they exist, whatever settings they read
    # (found by the same scan as test_function_environment.py) must be set.
    from tests.terraform.test_function_environment import PACKAGE

    if not (PACKAGE / f"{function}.py").exists():
        assert set(env(state, f"{function}[0]")) >= BATCH_ENV
        return
    missing = environment_read(function) - set(env(state, f"{function}[0]"))
    assert not missing, f"{function} reads {sorted(missing)} but the module does not set them"


def test_producer_may_enqueue_batch_jobs(state: dict[str, Any]) -> None:
    main, batch = queue_arns(state)
    variables = env(state, "producer")
    assert variables["DEFAULT_MODE"] == "realtime"
    assert variables["BATCH_QUEUE_URL"] == env(state, "batch_submitter[0]")["BATCH_QUEUE_URL"]
    producer = statements_by_sid(state, f"{M}.module.producer.aws_iam_role_policy.this")
    assert as_list(producer["EnqueueBatchJobs"]["Action"]) == ["sqs:SendMessage"]
    assert as_list(producer["EnqueueBatchJobs"]["Resource"]) == [batch]
    assert as_list(producer["EnqueueJobs"]["Resource"]) == [main]


# ------------------------------------------------------------------------------------------
# IAM: the Bedrock service role, PassRole, the schedulers' roles
# ------------------------------------------------------------------------------------------


def test_bedrock_service_role_trusts_only_this_accounts_batch_jobs(state: dict[str, Any]) -> None:
    role = one(state_resources(state, "aws_iam_role"), f"{M}.aws_iam_role.batch_bedrock[0]")
    assert role["name"] == f"batchy-batch-bedrock-{REGION}"
    (trust,) = rendered_statements(role["assume_role_policy"])
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/*"},
    }


def test_bedrock_service_role_reads_input_writes_output_and_invokes_the_allowed_models(
    state: dict[str, Any],
) -> None:
    statements = statements_by_sid(state, f"{M}.aws_iam_role_policy.batch_bedrock[0]")
    bucket = one(state_resources(state, "aws_s3_bucket"), f"{M}.module.payload_bucket.aws_s3_bucket.this")[
        "arn"
    ]
    assert as_list(statements["ReadBatchInput"]["Resource"]) == [f"{bucket}/batch-input/*"]
    assert as_list(statements["WriteBatchOutput"]["Resource"]) == [f"{bucket}/batch-output/*"]
    assert statements["ListBatchInput"]["Condition"] == {"StringLike": {"s3:prefix": "batch-input/*"}}
    assert as_list(statements["UseBucketKey"]["Resource"]) == [KEY]
    consumer = statements_by_sid(state, f"{M}.module.consumer.aws_iam_role_policy.this")
    invoke = {sid: s for sid, s in consumer.items() if sid.startswith("InvokeModel")}
    assert invoke and all(statements[sid] == s for sid, s in invoke.items())


def test_only_the_submitter_passes_exactly_the_bedrock_role_to_bedrock(state: dict[str, Any]) -> None:
    role_arn = one(state_resources(state, "aws_iam_role"), f"{M}.aws_iam_role.batch_bedrock[0]")["arn"]
    submitter = statements_by_sid(state, f"{M}.module.batch_submitter[0].aws_iam_role_policy.this")
    assert as_list(submitter["PassBatchRole"]["Action"]) == ["iam:PassRole"]
    assert as_list(submitter["PassBatchRole"]["Resource"]) == [role_arn]
    assert submitter["PassBatchRole"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}
    }
    passing = [
        address
        for address, values in state_resources(state, "aws_iam_role_policy").items()
        if any("iam:PassRole" in as_list(s["Action"]) for s in rendered_statements(values["policy"]))
    ]
    assert passing == [f"{M}.module.batch_submitter[0].aws_iam_role_policy.this"]


def test_submitter_and_collector_permissions(state: dict[str, Any]) -> None:
    main, batch = queue_arns(state)
    submitter = statements_by_sid(state, f"{M}.module.batch_submitter[0].aws_iam_role_policy.this")
    collector = statements_by_sid(state, f"{M}.module.batch_collector[0].aws_iam_role_policy.this")
    assert sorted(as_list(submitter["ReadBatchQueue"]["Action"])) == [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ]
    assert as_list(submitter["ReadBatchQueue"]["Resource"]) == [batch]
    for statements in (submitter, collector):
        assert as_list(statements["FallBackToRealtime"]["Resource"]) == [main]
        assert as_list(statements["ListBatchJobs"]["Resource"]) == ["*"]
        assert as_list(statements["ListBatchJobs"]["Action"]) == ["bedrock:ListModelInvocationJobs"]
        assert as_list(statements["ReadBatchJobs"]["Resource"]) == [
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/*"
        ]
        assert KEY in as_list(statements["UseKmsKeys"]["Resource"])
    # The job, the default model's global inference profile, and the model behind it in this region
    # only: the consumer's grants of that model elsewhere hold only through the profile (a condition).
    model = "anthropic.claude-haiku-4-5-20251001-v1:0"
    assert sorted(as_list(submitter["CreateBatchJobs"]["Resource"])) == sorted(
        [
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-invocation-job/*",
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/global.{model}",
            f"arn:aws:bedrock:{REGION}::foundation-model/{model}",
        ]
    )
    assert "Condition" not in submitter["CreateBatchJobs"]
    # batch_submitter_policy_statements: the submitter alone gets them.
    assert as_list(submitter["ReadWeeklyReports"]["Resource"]) == ["arn:aws:s3:::example-bucket/weekly/*"]
    assert as_list(submitter["ReadWeeklyReports"]["Action"]) == ["s3:GetObject"]
    assert "ReadWeeklyReports" not in collector
    bucket = one(state_resources(state, "aws_s3_bucket"), f"{M}.module.payload_bucket.aws_s3_bucket.this")[
        "arn"
    ]
    assert as_list(submitter["WriteBatchInput"]["Resource"]) == [f"{bucket}/batch-input/*"]
    assert sorted(as_list(collector["ReadBatchFiles"]["Resource"])) == [
        f"{bucket}/batch-input/*",
        f"{bucket}/batch-output/*",
    ]
    assert as_list(collector["MarkBatchJobsCollected"]["Resource"]) == [f"{bucket}/batch-output/*"]
    for statements in (submitter, collector):
        assert as_list(statements["ListBatchBucket"]["Resource"]) == [bucket]
        # Only the batch prefixes are written: never documents/ or failed/.
        written = [
            r
            for s in statements.values()
            if "s3:PutObject" in as_list(s["Action"])
            for r in as_list(s["Resource"])
        ]
        assert all(r.endswith(("/batch-input/*", "/batch-output/*", "/results/*")) for r in written), written
    results = env(state, "batch_collector[0]")["RESULTS_TOPIC_ARN"]
    assert as_list(collector["PublishNotices"]["Resource"]) == [results]
    assert not any(a.startswith("sqs:Receive") for s in collector.values() for a in as_list(s["Action"]))


def test_job_schedules_role_may_only_send_to_their_queues(state: dict[str, Any]) -> None:
    main, batch = queue_arns(state)
    role = one(state_resources(state, "aws_iam_role"), f"{M}.aws_iam_role.schedules[0]")
    (trust,) = rendered_statements(role["assume_role_policy"])
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    statements = statements_by_sid(state, f"{M}.aws_iam_role_policy.schedules[0]")
    assert set(statements) == {"SendJobs", "UseQueueKey"}
    assert as_list(statements["SendJobs"]["Action"]) == ["sqs:SendMessage"]
    assert sorted(as_list(statements["SendJobs"]["Resource"])) == sorted([main, batch])
    assert sorted(as_list(statements["UseQueueKey"]["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert as_list(statements["UseQueueKey"]["Resource"]) == [KEY]


@pytest.mark.parametrize(("schedule", "function"), [("submit", "submitter"), ("collect", "collector")])
def test_function_schedule_roles_may_only_invoke_their_function(
    state: dict[str, Any], schedule: str, function: str
) -> None:
    function_arn = one(
        state_resources(state, "aws_lambda_function"),
        f"{M}.module.batch_{function}[0].aws_lambda_function.this",
    )["arn"]
    (statement,) = statements_by_sid(state, f'{M}.aws_iam_role_policy.batch_scheduler["{schedule}"]').values()
    assert as_list(statement["Action"]) == ["lambda:InvokeFunction"]
    assert as_list(statement["Resource"]) == [function_arn]
    values = one(
        state_resources(state, "aws_scheduler_schedule"), f'{M}.aws_scheduler_schedule.batch["{schedule}"]'
    )
    (target,) = values["target"]
    assert target["arn"] == function_arn
    role = one(state_resources(state, "aws_iam_role"), f'{M}.aws_iam_role.batch_scheduler["{schedule}"]')
    assert target["role_arn"] == role["arn"]
    assert "<aws.scheduler.scheduled-time>" in target["input"]


def test_submitter_runs_nightly_and_the_collector_polls(plan: Plan) -> None:
    submit = plan.values(f'{M}.aws_scheduler_schedule.batch["submit"]')
    collect = plan.values(f'{M}.aws_scheduler_schedule.batch["collect"]')
    assert submit["schedule_expression"] == "cron(0 2 * * ? *)"
    assert submit["schedule_expression_timezone"] == "UTC"
    assert collect["schedule_expression"] == "rate(30 minutes)"


def test_collector_receives_bedrock_batch_job_state_changes(state: dict[str, Any]) -> None:
    rules = state_resources(state, "aws_cloudwatch_event_rule")
    rule = one(rules, f"{M}.aws_cloudwatch_event_rule.batch_job_state_change[0]")
    assert json.loads(rule["event_pattern"]) == {
        "source": ["aws.bedrock"],
        "detail-type": ["Batch Inference Job State Change"],
    }
    collector = one(
        state_resources(state, "aws_lambda_function"),
        f"{M}.module.batch_collector[0].aws_lambda_function.this",
    )
    target = one(
        state_resources(state, "aws_cloudwatch_event_target"),
        f"{M}.aws_cloudwatch_event_target.batch_job_state_change[0]",
    )
    assert target["arn"] == collector["arn"] and target["rule"] == rule["name"]
    permission = one(
        state_resources(state, "aws_lambda_permission"),
        f"{M}.aws_lambda_permission.batch_job_state_change[0]",
    )
    assert permission["principal"] == "events.amazonaws.com"
    assert permission["source_arn"] == rule["arn"]
    assert permission["function_name"] == collector["function_name"]


# ------------------------------------------------------------------------------------------
# Scheduled jobs and mode routing
# ------------------------------------------------------------------------------------------


def scheduler_sends(target_input: str, scheduled_time: str, execution_id: str, attempt: int) -> str:
    """The message body Scheduler delivers: each context keyword replaced by its value (Scheduler User
    Guide, "Adding context attributes in EventBridge Scheduler")."""
    values = {"scheduled-time": scheduled_time, "execution-id": execution_id, "attempt-number": str(attempt)}
    return re.sub(r"<aws\.scheduler\.([a-z-]+)>", lambda m: values[m.group(1)], target_input)


def test_schedules_send_spec_messages_keyed_by_the_schedule_and_its_time(state: dict[str, Any]) -> None:
    main, batch = queue_arns(state)
    schedules = state_resources(state, "aws_scheduler_schedule")
    role = one(state_resources(state, "aws_iam_role"), f"{M}.aws_iam_role.schedules[0]")["arn"]
    tracing = {
        "schedule_execution_id": "<aws.scheduler.execution-id>",
        "schedule_attempt_number": "<aws.scheduler.attempt-number>",
    }

    digest = one(schedules, f'{M}.aws_scheduler_schedule.jobs["daily-digest"]')
    assert digest["name"] == "batchy-daily-digest"
    assert digest["schedule_expression"] == "cron(0 6 * * ? *)"
    assert digest["schedule_expression_timezone"] == "Europe/Paris"
    assert digest["kms_key_arn"] == KEY
    (target,) = digest["target"]
    assert target["arn"] == main and target["role_arn"] == role
    # The keywords must reach Scheduler literally (jsonencode alone would write \u003c...\u003e).
    assert '"daily-digest-<aws.scheduler.scheduled-time>"' in target["input"]
    assert '"<aws.scheduler.execution-id>"' in target["input"]
    assert json.loads(target["input"]) == {
        "job_id": "daily-digest-<aws.scheduler.scheduled-time>",
        "task": "summarize",
        "document": 'Summarise "yesterday".',
        "submitted_at": "<aws.scheduler.scheduled-time>",
        "metadata": {"schedule": "daily-digest", **tracing},
    }

    weekly = one(schedules, f'{M}.aws_scheduler_schedule.jobs["weekly-classify"]')
    (target,) = weekly["target"]
    assert target["arn"] == batch
    assert weekly["schedule_expression_timezone"] == "UTC"
    assert json.loads(target["input"]) == {
        "job_id": "weekly-classify-<aws.scheduler.scheduled-time>",
        "task": "classify",
        "document_uri": "s3://example-bucket/weekly/report.txt",
        "labels": ["ok", "not-ok"],
        "submitted_at": "<aws.scheduler.scheduled-time>",
        "metadata": {"schedule": "weekly-classify", **tracing},
    }


def test_a_retried_delivery_of_a_scheduled_run_is_the_same_job_and_the_next_run_a_new_one(
    state: dict[str, Any],
) -> None:
    """What the consumer makes of the messages Scheduler sends: a retry (new execution id, next attempt
    number) keeps the job id; the next day's run gets its own."""
    from bedrock_jobs.messages import parse_job_message

    schedules = state_resources(state, "aws_scheduler_schedule")
    (target,) = one(schedules, f'{M}.aws_scheduler_schedule.jobs["daily-digest"]')["target"]
    first = parse_job_message(
        scheduler_sends(target["input"], "2026-12-02T06:00:00Z", "d32c5kddcf5bb8c3", 1), "x"
    )
    retry = parse_job_message(
        scheduler_sends(target["input"], "2026-12-02T06:00:00Z", "a81f0c2e9b7d4e10", 2), "x"
    )
    next_day = parse_job_message(
        scheduler_sends(target["input"], "2026-12-03T06:00:00Z", "0b5e7d1c3a9f2e84", 1), "x"
    )
    assert first.job_id == retry.job_id == "daily-digest-2026-12-02T06:00:00Z"
    assert next_day.job_id == "daily-digest-2026-12-03T06:00:00Z"
    assert (first.task, first.document, first.submitted_at) == (
        "summarize",
        'Summarise "yesterday".',
        "2026-12-02T06:00:00Z",
    )
    assert retry.metadata == {
        "schedule": "daily-digest",
        "schedule_execution_id": "a81f0c2e9b7d4e10",
        "schedule_attempt_number": "2",
    }


def test_a_scheduled_run_delivered_twice_is_one_job_and_one_model_call(
    state: dict[str, Any], aws_env: AwsResources, fake_bedrock: FakeBedrock
) -> None:
    """The consumer, against the embedded AWS, given the message exactly as Scheduler would deliver it
    on a first attempt and on a retry of the same run."""
    schedules = state_resources(state, "aws_scheduler_schedule")
    (target,) = one(schedules, f'{M}.aws_scheduler_schedule.jobs["daily-digest"]')["target"]
    for execution_id, attempt in (("d32c5kddcf5bb8c3", 1), ("a81f0c2e9b7d4e10", 2)):
        send(aws_env, scheduler_sends(target["input"], "2026-12-02T06:00:00Z", execution_id, attempt))
        response, event = run_consumer(aws_env)
        assert len(event["Records"]) == 1 and response["batchItemFailures"] == []

    job_id = "daily-digest-2026-12-02T06:00:00Z"
    assert fake_bedrock.successful_calls_by_job() == {job_id: 1}
    item = aws_env.client("dynamodb").get_item(TableName=aws_env.table, Key={"job_id": {"S": job_id}})["Item"]
    assert item["status"]["S"] == "complete" and item["submitted_at"]["S"] == "2026-12-02T06:00:00Z"
    assert [n["job_id"] for n in aws_env.published(aws_env.results_inbox_url)] == [job_id]


def test_rules_and_the_s3_trigger_send_to_the_queue_of_their_mode(plan: Plan, state: dict[str, Any]) -> None:
    main, batch = queue_arns(state)
    targets = state_resources(state, "aws_cloudwatch_event_target")
    tickets = one(targets, f'{M}.aws_cloudwatch_event_target.this["tickets"]')
    reports = one(targets, f'{M}.aws_cloudwatch_event_target.this["reports"]')
    uploads = one(targets, f"{M}.aws_cloudwatch_event_target.s3_trigger[0]")
    assert (tickets["arn"], tickets["target_id"]) == (main, "main-queue")
    assert (reports["arn"], reports["target_id"]) == (batch, "batch-queue")
    assert (uploads["arn"], uploads["target_id"]) == (batch, "batch-queue")
    # Each queue lets exactly the rules of its mode send to it.
    allowed = {
        queue: plan.config_module_call(["bedrock_jobs", queue])["expressions"][
            "allowed_eventbridge_rule_arns"
        ]
        for queue in ("queue", "batch_queue")
    }
    assert "local.realtime_rule_arns" in allowed["queue"]["references"]
    assert "local.batch_rule_arns" in allowed["batch_queue"]["references"]


# ------------------------------------------------------------------------------------------
# Alarms, dashboard, names
# ------------------------------------------------------------------------------------------


def test_batch_alarms_watch_the_batch_metrics_queue_and_functions(plan: Plan) -> None:
    alarms = {v["alarm_name"]: v for v in plan.resources("aws_cloudwatch_metric_alarm").values()}
    expected = {
        "batchy-batch-jobs-failed": ("bedrock-jobs", "BatchJobsFailed", {"service": "batchy"}),
        "batchy-batch-jobs-expired": ("bedrock-jobs", "BatchJobsExpired", {"service": "batchy"}),
        "batchy-batch-backlog-age": (
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            {"QueueName": "batchy-batch"},
        ),
        "batchy-batch-dlq-not-empty": (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": "batchy-batch-dlq"},
        ),
        "batchy-batch-submitter-errors": ("AWS/Lambda", "Errors", {"FunctionName": "batchy-batch-submitter"}),
        "batchy-batch-collector-errors": ("AWS/Lambda", "Errors", {"FunctionName": "batchy-batch-collector"}),
    }
    for name, (namespace, metric, dimensions) in expected.items():
        alarm = alarms[name]
        assert (alarm["namespace"], alarm["metric_name"], alarm["dimensions"]) == (
            namespace,
            metric,
            dimensions,
        )
        assert "Runbook: docs/runbook.md#runbook-batch-" in alarm["alarm_description"]
    # Jobs wait up to batch_max_wait_hours by design; the default threshold is 30 hours.
    assert alarms["batchy-batch-backlog-age"]["threshold"] == 30 * 3600


def test_dashboard_shows_the_batch_queue_and_metrics(state: dict[str, Any]) -> None:
    dashboards = state_resources(state, "aws_cloudwatch_dashboard")
    body = json.loads(one(dashboards, f"{M}.aws_cloudwatch_dashboard.this[0]")["dashboard_body"])
    metrics = [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    names = {m[1] for m in metrics if isinstance(m[0], str)}
    assert {"BatchRecordsSubmitted", "BatchRecordsCompleted", "BatchRecordsFellBack"} <= names
    assert ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", "batchy-batch"] in [
        m[:4] for m in metrics
    ]
    alarm_widget = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(alarm_widget) == 1 and alarm_widget[0]["y"] == 24


def test_batch_stack_claims_every_name_once(state: dict[str, Any]) -> None:
    assert name_collisions([state]) == []
    roles = {a: v["name"] for a, v in state_resources(state, "aws_iam_role").items()}
    assert all(name.endswith(f"-{REGION}") and len(name) <= 64 for name in roles.values()), roles


def test_every_batch_alarm_links_to_a_runbook_section(plan: Plan) -> None:
    runbook = (REPO_ROOT / "docs" / "runbook.md").read_text()
    # GitHub's heading anchors: lowercase, spaces to hyphens.
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^## (.+)$", runbook, re.M)
    }
    links = [
        re.search(r"#(runbook-[a-z-]+)$", v["alarm_description"]).group(1)
        for v in plan.resources("aws_cloudwatch_metric_alarm").values()
        if v["alarm_name"].startswith("batchy-batch-")
    ]
    assert len(links) == 6
    assert set(links) <= anchors, sorted(set(links) - anchors)
