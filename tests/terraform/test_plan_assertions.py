"""Security and wiring assertions on ``terraform show -json`` plans of the root module (defaults)
and of every example, made with the offline toolchain (real Terraform 1.15, real aws 6.47.0 schema).

Values that depend on resource attributes (ARNs, ids) are unknown in a plan. Where that matters the
tests also look at the configuration's expression references, and at the state after an offline
``apply`` (the offline provider fills computed attributes with ARN-shaped placeholders, so deferred
policy documents get rendered with the real rendering rules): IAM policies, bucket policies, alarm
actions, event source mapping sources and redrive policies are checked fully rendered there.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.terraform.plan_helpers import (
    REPO_ROOT,
    STACKS,
    UNKNOWN,
    Plan,
    Workspace,
    as_list,
    expression_references,
    is_known,
    module_instance,
    rendered_statements,
    session_workspace,
    split_address,
    state_resources,
)
from tests.terraform_offline import OfflineTerraform

pytestmark = pytest.mark.terraform

HANDLERS = {
    "producer": "bedrock_jobs.producer.handler",
    "consumer": "bedrock_jobs.consumer.handler",
    "archiver": "bedrock_jobs.dlq_archiver.handler",
}
# The two more functions of a stack with batch_enabled (SPEC "Batch mode").
BATCH_HANDLERS = {
    "batch_submitter": "bedrock_jobs.batch_submitter.handler",
    "batch_collector": "bedrock_jobs.batch_collector.handler",
}
# Roles of a batch stack that belong to no function, each with one inline policy: the service role
# Bedrock assumes, and the roles EventBridge Scheduler assumes to start the submitter and the collector.
BATCH_SERVICE_ROLE_POLICIES = {
    "aws_iam_role_policy.batch_bedrock",
    "aws_iam_role_policy.batch_scheduler",
}
BATCH_ALARMS = (
    "batch-backlog-age",
    "batch-dlq-not-empty",
    "batch-jobs-failed",
    "batch-jobs-expired",
    "batch-submitter-errors",
    "batch-collector-errors",
)

# What each stack configures (examples/*/main.tf) or inherits from the module defaults.
EXPECTED = {
    "root": {"fifo": False, "max_concurrency": 2, "batch": 10, "window": 5, "visibility": 305, "kms": False},
    "complete": {
        "fifo": False,
        "max_concurrency": 20,
        "batch": 10,
        "window": 5,
        "visibility": 305,
        "kms": False,
    },
    "fifo": {
        "fifo": True,
        "max_concurrency": 10,
        "batch": 10,
        "window": None,
        "visibility": 300,
        "kms": False,
    },
    "existing-topic-and-kms": {
        "fifo": False,
        "max_concurrency": 2,
        "batch": 10,
        "window": 5,
        "visibility": 305,
        "kms": True,
    },
    "batch-and-schedules": {
        "fifo": False,
        "max_concurrency": 2,
        "batch": 10,
        "window": 5,
        "visibility": 305,
        "kms": False,
    },
}

# Environment variables each function needs (SPEC "Python contract" and the settings.require()
# calls of the handlers).
REQUIRED_ENV = {
    "producer": {"JOBS_TABLE", "QUEUE_URL", "PAYLOAD_BUCKET"},
    "consumer": {"JOBS_TABLE", "MODEL_ID", "PAYLOAD_BUCKET", "ARCHIVE_BUCKET"},
    "archiver": {
        "JOBS_TABLE",
        "ARCHIVE_BUCKET",
        "ALERTS_TOPIC_ARN",
        "QUEUE_URL",
        "ARCHIVER_MAX_REQUEUES",
        "PAYLOAD_BUCKET",
    },
    "batch_submitter": {
        "JOBS_TABLE",
        "QUEUE_URL",
        "BATCH_QUEUE_URL",
        "BATCH_ROLE_ARN",
        "BATCH_BUCKET",
        "MODEL_ID",
    },
    "batch_collector": {"JOBS_TABLE", "QUEUE_URL", "BATCH_BUCKET", "PAYLOAD_BUCKET"},
}

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Actions that accept no resource ARN (IAM Service Authorization Reference): '*' is allowed for them,
# scoped by the named condition key where the action has one.
RESOURCELESS_ACTIONS = {
    "aws-marketplace:Subscribe": "aws-marketplace:ProductId",
    "aws-marketplace:ViewSubscriptions": None,
    # The batch functions list this deployment's batch inference jobs (batch.tf, ListBatchJobs).
    "bedrock:ListModelInvocationJobs": None,
}
# Resource types whose names AWS assigns when it creates the resource, so that '<type>/*' (in this
# account and region) is the narrowest ARN a policy can name: a batch inference job's ARN ends in an id
# Bedrock generates, not in the name the submitter gives it (CreateModelInvocationJob returns jobArn).
SERVICE_NAMED_RESOURCE_TYPES = {("bedrock", "model-invocation-job")}


def wildcard_allowed(actions: list[str], condition_keys: set[str]) -> bool:
    """'*' is allowed for X-Ray, and for resource-less actions with their scoping condition."""
    if set(actions) <= XRAY_ACTIONS:
        return True
    return set(actions) <= set(RESOURCELESS_ACTIONS) and all(
        RESOURCELESS_ACTIONS[a] is None or RESOURCELESS_ACTIONS[a] in condition_keys for a in actions
    )


# Services whose ARNs carry the resource name without a resource-type prefix.
TYPELESS_ARN_SERVICES = {"s3", "sqs", "sns"}
ACTION_RE = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
ARN_RE = re.compile(r"^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*|\*):(\d{12}|\*)?:(.+)$")


def test_every_example_is_covered() -> None:
    assert set(EXPECTED) == set(STACKS), "add the new example's expectations to EXPECTED"


# ------------------------------------------------------------------------------------------
# Fixtures
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workspace(offline_terraform: OfflineTerraform, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return session_workspace(offline_terraform, tmp_path_factory.mktemp("tf-workspace"))


@pytest.fixture(scope="module", params=list(STACKS))
def stack(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def plan(workspace: Workspace, stack: str) -> Plan:
    return workspace.plan(STACKS[stack])


@pytest.fixture(scope="module")
def state(workspace: Workspace, stack: str) -> dict[str, Any]:
    return workspace.applied_state(STACKS[stack])


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def one_address(addresses: list[str] | dict[str, Any], suffix: str) -> str:
    """The single address ending with ``suffix`` (e.g. ``module.consumer.aws_lambda_function.this``)."""
    found = [a for a in addresses if a == suffix or a.endswith("." + suffix)]
    assert len(found) == 1, f"expected one {suffix}, found {found}"
    return found[0]


def function_address(plan: Plan, role: str) -> str:
    """The function of ``module.<role>`` (``module.<role>[0]`` for the batch functions)."""
    found = [
        a
        for a in plan.addresses("aws_lambda_function")
        if split_address(a)[0][-1:] == [role] and split_address(a)[1] == "aws_lambda_function.this"
    ]
    assert len(found) == 1, f"expected one {role} function, found {found}"
    return found[0]


def batch_enabled(plan: Plan) -> bool:
    """Whether the stack runs batch mode: its plan has the batch submitter function."""
    return any(split_address(a)[0][-1:] == ["batch_submitter"] for a in plan.addresses("aws_lambda_function"))


def stack_handlers(plan: Plan) -> dict[str, str]:
    """The functions the stack must have, by module name: the three, and the batch pair with batch on."""
    return {**HANDLERS, **(BATCH_HANDLERS if batch_enabled(plan) else {})}


def function_policy_addresses(addresses: Any) -> set[str]:
    """The inline policies of the functions' roles (``module.<function>.aws_iam_role_policy.this``)."""
    functions = set(HANDLERS) | set(BATCH_HANDLERS)
    found = set()
    for address in addresses:
        modules, local = split_address(address)
        if local == "aws_iam_role_policy.this" and modules and modules[-1] in functions:
            found.add(address)
    return found


def expected_role_policies(plan: Plan) -> int:
    """One inline policy per role: a role per function; with batch on, the Bedrock service role and a
    scheduler role per batch function; with job schedules, the role that sends their jobs."""
    count = len(stack_handlers(plan))
    if batch_enabled(plan):
        count += 1 + len(BATCH_HANDLERS)
    schedules = plan.addresses("aws_scheduler_schedule")
    if any(split_address(a)[1] == "aws_scheduler_schedule.jobs" for a in schedules):
        count += 1
    return count


def check_action(action: Any) -> str | None:
    if not isinstance(action, str):
        return f"action {action!r} is not known at plan time"
    if "*" in action or "?" in action or not ACTION_RE.match(action):
        return f"action {action!r} is not one exact action"
    return None


def check_resource(
    resource: str, actions: list[str], condition_keys: frozenset[str] = frozenset()
) -> str | None:
    """A resource must be an exact ARN of the actions' service; '*' only for X-Ray and for actions
    that accept no resource ARN (scoped by their condition key where they have one)."""
    if resource == "*":
        return None if wildcard_allowed(actions, set(condition_keys)) else f"resource '*' for {actions}"
    m = ARN_RE.match(resource)
    if not m:
        return f"resource {resource!r} is not an ARN"
    _partition, service, region, account, rest = m.groups()
    if account == "*":
        return f"resource {resource!r} has a wildcard account"
    services = {a.split(":")[0] for a in actions}
    if services != {service}:
        return f"resource {resource!r} is not a {sorted(services)} resource"
    if region == "*" and not (service == "bedrock" and rest.startswith("foundation-model/")):
        # Cross-region inference profiles route to the foundation model in any region.
        return f"resource {resource!r} has a wildcard region"
    if rest == "*" or rest.startswith("*") or re.search(r"\*.", rest):
        return f"resource {resource!r} is not specific (wildcards only as a trailing /* or :*)"
    if rest.endswith("*") and not (rest.endswith("/*") or rest.endswith(":*")):
        return f"resource {resource!r} ends in a partial-name wildcard"
    # Before a trailing wildcard there must be a named resource, not just a resource type
    # ("table/*" is every table; "bucket/prefix/*" and "log-group:name:log-stream:*" are fine).
    named = [s for s in re.split(r"[/:]", rest.removesuffix("*")) if s]
    if len(named) < (1 if service in TYPELESS_ARN_SERVICES else 2) and not (
        rest.endswith("/*") and (service, rest.removesuffix("/*")) in SERVICE_NAMED_RESOURCE_TYPES
    ):
        return f"resource {resource!r} names no specific resource"
    return None


def identity_documents(plan: Plan) -> dict[str, dict[str, Any]]:
    """Policy documents used as identity policies: those the inline role policies are rendered
    from, and every other document whose statements carry no principals."""
    docs = plan.resources("aws_iam_policy_document", mode="data")
    role_docs = role_policy_documents(plan)
    return {
        address: values
        for address, values in docs.items()
        if address in role_docs
        or (
            isinstance(values.get("statement"), list)
            and values["statement"]
            and all(not s.get("principals") for s in values["statement"])
        )
    }


def plan_statements(plan: Plan, address: str, doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The document's statements as planned; when even their number is unknown (dynamic blocks
    over values known only after apply), the static statement blocks of its configuration."""
    if isinstance(doc.get("statement"), list):
        return doc["statement"]
    statements = []
    for config in plan.config_resource(address)["expressions"].get("statement", []):
        statements.append(
            {
                "sid": config.get("sid", {}).get("constant_value"),
                "actions": config.get("actions", {}).get("constant_value", UNKNOWN),
                "resources": config.get("resources", {}).get("constant_value", UNKNOWN),
                "not_actions": config.get("not_actions", {}).get("constant_value"),
                "not_resources": config.get("not_resources", {}).get("constant_value"),
                "principals": config.get("principals"),
            }
        )
    assert statements, f"{address}: neither planned nor static statements"
    return statements


_INSTANCE_KEY = re.compile(r"(\[[^\]]*\])$")
_DOCUMENT_REF = re.compile(r"^data\.aws_iam_policy_document\.[^.\[]+$")


def role_policy_document(plan: Plan, address: str) -> str:
    """Address of the policy document an inline role policy is rendered from."""
    config = plan.config_resource(address)
    all_refs = expression_references(config["expressions"]["policy"])
    refs = [r[: -len(".json")] for r in all_refs if r.endswith(".json")]
    if not refs and "each.key" in all_refs:
        # `data.aws_iam_policy_document.x[each.key].json`: Terraform records no reference through a
        # dynamic index, only the document and each.key. The policy's own key names the instance.
        documents = [r for r in all_refs if _DOCUMENT_REF.match(r)]
        key = _INSTANCE_KEY.search(address)
        if len(documents) == 1 and key:
            refs = [documents[0] + key.group(1)]
    assert len(refs) == 1, f"{address}: policy is not one aws_iam_policy_document ({all_refs})"
    prefix = module_instance(address)
    return f"{prefix}.{refs[0]}" if prefix else refs[0]


def role_policy_documents(plan: Plan) -> set[str]:
    """Addresses of the policy documents that the inline role policies are rendered from."""
    return {role_policy_document(plan, address) for address in plan.addresses("aws_iam_role_policy")}


def statement_config(plan: Plan, doc_address: str, sid: str) -> dict[str, Any] | None:
    """The configuration of a static (non-dynamic) ``statement`` block, found by its sid."""
    for statement in plan.config_resource(doc_address)["expressions"].get("statement", []):
        if statement.get("sid", {}).get("constant_value") == sid:
            return statement
    return None


def env_of(values: dict[str, Any]) -> dict[str, Any]:
    return values["environment"][0]["variables"]


# ------------------------------------------------------------------------------------------
# IAM: least privilege
# ------------------------------------------------------------------------------------------


def test_role_policies_come_from_identity_documents(plan: Plan) -> None:
    role_docs = role_policy_documents(plan)
    policies = plan.addresses("aws_iam_role_policy")
    functions = function_policy_addresses(policies)
    assert len(functions) == len(stack_handlers(plan)), f"one inline policy per function, got {functions}"
    others = {split_address(a)[1] for a in set(policies) - functions}
    if batch_enabled(plan):
        assert others >= BATCH_SERVICE_ROLE_POLICIES, f"batch mode's service roles lack policies: {others}"
    assert others <= BATCH_SERVICE_ROLE_POLICIES | {"aws_iam_role_policy.schedules"}, others
    assert len(policies) == len(role_docs) == expected_role_policies(plan), (
        f"one inline policy, from its own document, per role: {sorted(role_docs)}"
    )
    assert len(plan.addresses("aws_iam_role")) == len(policies), "every role has its inline policy"
    docs = plan.resources("aws_iam_policy_document", mode="data")
    for address in role_docs:
        for statement in plan_statements(plan, address, docs[address]):
            assert not statement.get("principals"), f"{address}: a role policy carries no principals"


def test_identity_policies_name_exact_actions(plan: Plan) -> None:
    docs = identity_documents(plan)
    assert role_policy_documents(plan) <= set(docs)
    problems = []
    for address, doc in docs.items():
        for statement in plan_statements(plan, address, doc):
            where = f"{address} statement {statement.get('sid')!r}"
            if statement.get("not_actions") or statement.get("not_resources"):
                problems.append(f"{where}: NotAction/NotResource")
            actions = statement.get("actions")
            if not actions or actions is UNKNOWN:
                problems.append(f"{where}: no known actions")
                continue
            problems += [f"{where}: {p}" for a in actions if (p := check_action(a))]
    assert not problems, "\n".join(problems)


def test_identity_policies_name_exact_resources_in_the_plan(plan: Plan) -> None:
    """Known resources are checked as values; unknown ones (ARNs of resources created in the same
    apply) must come from resource references in the configuration, never from a literal '*'."""
    problems = []
    xray_statements = 0
    for address, doc in identity_documents(plan).items():
        for statement in plan_statements(plan, address, doc):
            where = f"{address} statement {statement.get('sid')!r}"
            actions = [a for a in statement["actions"] if isinstance(a, str)]
            resources = statement.get("resources")
            if set(actions) == XRAY_ACTIONS:
                xray_statements += 1
                if resources != ["*"]:
                    problems.append(f"{where}: the X-Ray statement must be exactly resource '*'")
                continue
            if resources is UNKNOWN or resources is None or any(r is UNKNOWN for r in resources):
                config = statement_config(plan, address, statement.get("sid"))
                if config is not None:  # static block: its expression must reference resources
                    expr = config.get("resources", {})
                    if "*" in (expr.get("constant_value") or []) or not expression_references(expr):
                        problems.append(f"{where}: resources are not references to created resources")
            condition_keys = {
                c.get("variable") for c in statement.get("condition") or [] if isinstance(c, dict)
            }
            for resource in resources if isinstance(resources, list) else []:
                if resource == "*":
                    if not wildcard_allowed(actions, condition_keys):
                        problems.append(f"{where}: resource '*' outside the X-Ray statement")
                elif resource is not UNKNOWN and (problem := check_resource(resource, actions)):
                    problems.append(f"{where}: {problem}")
    assert xray_statements == len(stack_handlers(plan)), "each function role has exactly one X-Ray statement"
    assert not problems, "\n".join(problems)


def test_rendered_role_policies_are_least_privilege(plan: Plan, state: dict[str, Any]) -> None:
    """Every inline role policy (and the producer-invoke caller policy), rendered after the offline
    apply: exact actions, exact ARNs of the actions' service, '*' only for X-Ray."""
    policies = {a: v["policy"] for a, v in state_resources(state, "aws_iam_role_policy").items()}
    assert set(policies) == set(plan.addresses("aws_iam_role_policy"))
    assert len(policies) == expected_role_policies(plan)
    function_policies = function_policy_addresses(policies)
    assert len(function_policies) == len(stack_handlers(plan))
    invoke = one_address(
        state_resources(state, "aws_iam_policy_document", "data"),
        "data.aws_iam_policy_document.producer_invoke",
    )
    policies[invoke] = state_resources(state, "aws_iam_policy_document", "data")[invoke]["json"]
    problems = []
    for address, policy in policies.items():
        xray = 0
        for statement in rendered_statements(policy):
            where = f"{address} {statement.get('Sid')!r}"
            if statement.get("Effect") != "Allow" or {"NotAction", "NotResource", "Principal"} & set(
                statement
            ):
                problems.append(f"{where}: must be a plain Allow statement")
            actions = as_list(statement.get("Action", []))
            resources = as_list(statement.get("Resource", []))
            if not actions or not resources:
                problems.append(f"{where}: needs actions and resources")
            problems += [f"{where}: {p}" for a in actions if (p := check_action(a))]
            condition_keys = frozenset(
                k for test in (statement.get("Condition") or {}).values() for k in test
            )
            problems += [
                f"{where}: {p}" for r in resources if (p := check_resource(r, actions, condition_keys))
            ]
            # A foundation model granted beyond this region must be reachable only through a profile.
            for r in resources:
                if (
                    re.match(r"^arn:[^:]+:bedrock:(\*|):", r)
                    and "bedrock:InferenceProfileArn" not in condition_keys
                ):
                    problems.append(f"{where}: {r} is granted outside an inference profile")
            if "*" in resources and set(actions) <= XRAY_ACTIONS:
                xray += 1
        # A function's role traces to X-Ray; a role no function assumes has no use for it.
        expected_xray = 1 if address in function_policies else 0
        if address != invoke and xray != expected_xray:
            problems.append(f"{address}: {expected_xray} X-Ray statement(s) expected, found {xray}")
    assert not problems, "\n".join(problems)


def test_rendered_role_policies_target_the_stack_resources(state: dict[str, Any]) -> None:
    queues = state_resources(state, "aws_sqs_queue")
    main = queues[one_address(queues, "module.queue.aws_sqs_queue.this")]["arn"]
    dlq = queues[one_address(queues, "module.queue.aws_sqs_queue.dlq")]["arn"]
    tables = state_resources(state, "aws_dynamodb_table")
    table = tables[one_address(tables, "aws_dynamodb_table.jobs")]["arn"]
    policies = state_resources(state, "aws_iam_role_policy")
    by_role = {
        split_address(address)[0][-1]: {s["Sid"]: s for s in rendered_statements(policies[address]["policy"])}
        for address in function_policy_addresses(policies)
    }
    assert set(HANDLERS) <= set(by_role)
    functions = state_resources(state, "aws_lambda_function")
    alerts = env_of(functions[one_address(functions, "module.archiver.aws_lambda_function.this")])[
        "ALERTS_TOPIC_ARN"
    ]

    assert as_list(by_role["consumer"]["ConsumeSourceQueue"]["Resource"]) == [main]
    assert as_list(by_role["archiver"]["ConsumeSourceQueue"]["Resource"]) == [dlq]
    assert "ConsumeSourceQueue" not in by_role["producer"]
    assert as_list(by_role["producer"]["EnqueueJobs"]["Resource"]) == [main]
    assert as_list(by_role["producer"]["EnqueueJobs"]["Action"]) == ["sqs:SendMessage"]
    # The archiver sends never-attempted jobs back to the main queue, the one its QUEUE_URL names.
    assert as_list(by_role["archiver"]["RequeueUntriedJobs"]["Resource"]) == [main]
    assert as_list(by_role["archiver"]["RequeueUntriedJobs"]["Action"]) == ["sqs:SendMessage"]
    archiver_env = env_of(functions[one_address(functions, "module.archiver.aws_lambda_function.this")])
    producer_env = env_of(functions[one_address(functions, "module.producer.aws_lambda_function.this")])
    assert archiver_env["QUEUE_URL"] == producer_env["QUEUE_URL"]
    # It reads saved model answers (results/ in the payload bucket) and nothing else there.
    (saved_answers,) = as_list(by_role["archiver"]["ReadSavedModelAnswers"]["Resource"])
    assert as_list(by_role["archiver"]["ReadSavedModelAnswers"]["Action"]) == ["s3:GetObject"]
    assert (
        saved_answers.endswith("/results/*")
        and archiver_env["PAYLOAD_BUCKET"] == producer_env["PAYLOAD_BUCKET"]
    )
    for role in by_role:  # the batch functions too, when the stack has them
        table_statements = [
            s for s in by_role[role].values() if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
        ]
        assert table_statements and all(as_list(s["Resource"]) == [table] for s in table_statements), role
    if "batch_submitter" in by_role:
        batch_queue = queues[one_address(queues, "module.batch_queue[0].aws_sqs_queue.this")]["arn"]
        assert as_list(by_role["batch_submitter"]["ReadBatchQueue"]["Resource"]) == [batch_queue]
        # Both batch functions send what batch mode cannot answer to the realtime queue, and nowhere else.
        for role in BATCH_HANDLERS:
            assert as_list(by_role[role]["FallBackToRealtime"]["Resource"]) == [main], role
            assert as_list(by_role[role]["FallBackToRealtime"]["Action"]) == ["sqs:SendMessage"], role
    assert alerts in as_list(by_role["archiver"]["PublishAlerts"]["Resource"])
    assert alerts in as_list(by_role["consumer"]["PublishNotices"]["Resource"])
    # The archiver fails dead-lettered jobs: it publishes their notices where the consumer does.
    results = env_of(functions[one_address(functions, "module.consumer.aws_lambda_function.this")]).get(
        "RESULTS_TOPIC_ARN"
    )
    if results:
        assert (
            env_of(functions[one_address(functions, "module.archiver.aws_lambda_function.this")])[
                "RESULTS_TOPIC_ARN"
            ]
            == results
        )
        assert sorted(as_list(by_role["archiver"]["PublishAlerts"]["Resource"])) == sorted({alerts, results})


# ------------------------------------------------------------------------------------------
# Encryption and access of data stores
# ------------------------------------------------------------------------------------------


def test_every_sqs_queue_is_encrypted(plan: Plan, stack: str, state: dict[str, Any]) -> None:
    queues = plan.resources("aws_sqs_queue")
    assert len(queues) >= 2
    for address, values in queues.items():
        kms = values.get("kms_master_key_id")
        if EXPECTED[stack]["kms"]:
            assert kms is UNKNOWN or (isinstance(kms, str) and kms), f"{address}: KMS key expected"
            refs = expression_references(plan.config_resource(address)["expressions"]["kms_master_key_id"])
            assert "var.kms_master_key_id" in refs
        else:
            assert values.get("sqs_managed_sse_enabled") is True, f"{address}: SSE-SQS must be on"
            assert kms is None, f"{address}: no KMS key expected, got {kms!r}"
    keys = {v["arn"] for v in state_resources(state, "aws_kms_key").values()}
    for address, values in state_resources(state, "aws_sqs_queue").items():
        if EXPECTED[stack]["kms"]:
            assert values["kms_master_key_id"] in keys, f"{address}: must use the stack's KMS key"
        else:
            assert values["sqs_managed_sse_enabled"] is True


def test_every_s3_bucket_is_encrypted_private_and_tls_only(plan: Plan, state: dict[str, Any]) -> None:
    buckets = plan.addresses("aws_s3_bucket")
    assert buckets, "the module creates at least the payload bucket"
    sse = plan.resources("aws_s3_bucket_server_side_encryption_configuration")
    pab = plan.resources("aws_s3_bucket_public_access_block")
    bucket_policies = plan.addresses("aws_s3_bucket_policy")
    for bucket in buckets:
        module = module_instance(bucket)
        _, local_name = split_address(bucket)

        def sibling(addresses: Any, type_: str, _module: str = module, _bucket: str = bucket) -> str:
            found = [
                a
                for a in addresses
                if module_instance(a) == _module and split_address(a)[1].startswith(type_)
            ]
            assert len(found) == 1, f"{_bucket}: expected one {type_} next to it, found {found}"
            return found[0]

        sse_address = sibling(sse, "aws_s3_bucket_server_side_encryption_configuration")
        rule = sse[sse_address]["rule"][0]["apply_server_side_encryption_by_default"][0]
        assert rule["sse_algorithm"] in ("aws:kms", "aws:kms:dsse", "AES256")
        pab_address = sibling(pab, "aws_s3_bucket_public_access_block")
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        assert all(pab[pab_address][f] is True for f in flags), f"{pab_address}: all four must be true"
        policy_address = sibling(bucket_policies, "aws_s3_bucket_policy")
        for address in (sse_address, pab_address, policy_address):
            refs = expression_references(plan.config_resource(address)["expressions"]["bucket"])
            assert f"{local_name}.id" in refs or f"{local_name}.bucket" in refs, (
                f"{address} is not on {bucket}"
            )
        doc_refs = expression_references(plan.config_resource(policy_address)["expressions"]["policy"])
        doc = next(
            r for r in doc_refs if r.startswith("data.aws_iam_policy_document.") and r.endswith(".json")
        )
        doc_values = plan.values(f"{module}.{doc[: -len('.json')]}" if module else doc[: -len(".json")])
        deny = [s for s in doc_values["statement"] if s["effect"] == "Deny"]
        assert any(
            "s3:*" in s["actions"]
            and any(p["type"] == "*" and p["identifiers"] == ["*"] for p in s["principals"])
            and any(
                c["test"] == "Bool" and c["variable"] == "aws:SecureTransport" and c["values"] == ["false"]
                for c in s["condition"]
            )
            for s in deny
        ), f"{policy_address}: no TLS-only deny statement"

    # Rendered: each bucket's policy denies non-TLS access to the bucket and its objects.
    state_buckets = {v["bucket"]: v for v in state_resources(state, "aws_s3_bucket").values()}
    policies = {v["bucket"]: v["policy"] for v in state_resources(state, "aws_s3_bucket_policy").values()}
    assert set(policies) == set(state_buckets)
    for name, bucket in state_buckets.items():
        statements = rendered_statements(policies[name])
        assert any(
            s["Effect"] == "Deny"
            and s.get("Principal") == "*"
            and "s3:*" in as_list(s["Action"])
            and {bucket["arn"], f"{bucket['arn']}/*"} <= set(as_list(s["Resource"]))
            and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ), f"bucket {name}: policy is not TLS-only: {policies[name]}"
    for kind in ("aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block"):
        assert {v["bucket"] for v in state_resources(state, kind).values()} == set(state_buckets), kind


def test_jobs_table_is_encrypted_with_point_in_time_recovery(plan: Plan) -> None:
    tables = plan.resources("aws_dynamodb_table")
    assert len(tables) == 1
    for address, table in tables.items():
        assert table["server_side_encryption"][0]["enabled"] is True, address
        assert table["point_in_time_recovery"][0]["enabled"] is True, address
        assert table["hash_key"] == "job_id"


def test_jobs_table_has_the_sparse_index_of_failures_the_job_store_writes(plan: Plan) -> None:
    from bedrock_jobs.job_store import FAILED_DAY, FAILED_INDEX
    from bedrock_jobs_local.embedded_aws import jobs_table_definition

    [table] = plan.resources("aws_dynamodb_table").values()
    [index] = table["global_secondary_index"]
    assert (index["name"], index["hash_key"], index["range_key"]) == (FAILED_INDEX, FAILED_DAY, "failed_at")
    assert index["projection_type"] == "INCLUDE"
    # The embedded AWS (make run, the tests) creates the same index.
    [local] = jobs_table_definition("t")["GlobalSecondaryIndexes"]
    assert local["IndexName"] == index["name"]
    assert sorted(local["Projection"]["NonKeyAttributes"]) == sorted(index["non_key_attributes"])
    assert {a["name"]: a["type"] for a in table["attribute"]} == {
        "job_id": "S",
        FAILED_DAY: "S",
        "failed_at": "S",
    }


def test_every_sns_topic_is_encrypted(plan: Plan, state: dict[str, Any]) -> None:
    topics = plan.resources("aws_sns_topic")
    assert topics
    for address, topic in topics.items():
        key = topic.get("kms_master_key_id")
        assert key is UNKNOWN or (isinstance(key, str) and key), f"{address}: no kms_master_key_id"
    for address, topic in state_resources(state, "aws_sns_topic").items():
        assert topic["kms_master_key_id"], f"{address}: no kms_master_key_id"


def test_alerts_topic_can_receive_alarms(state: dict[str, Any]) -> None:
    # CloudWatch cannot publish through the AWS managed key alias/aws/sns.
    functions = state_resources(state, "aws_lambda_function")
    alerts = env_of(functions[one_address(functions, "module.archiver.aws_lambda_function.this")])[
        "ALERTS_TOPIC_ARN"
    ]
    topics = {t["arn"]: t for t in state_resources(state, "aws_sns_topic").values()}
    assert alerts in topics, f"alerts topic {alerts} is not in the stack"
    assert topics[alerts]["kms_master_key_id"] not in ("alias/aws/sns", "aws/sns")


# ------------------------------------------------------------------------------------------
# Alarms
# ------------------------------------------------------------------------------------------


def test_every_alarm_notifies_the_alerts_topic(plan: Plan, state: dict[str, Any]) -> None:
    alarms = plan.resources("aws_cloudwatch_metric_alarm")
    assert len(alarms) >= 5
    for address, alarm in alarms.items():
        assert alarm["actions_enabled"] is True, address
        actions = alarm["alarm_actions"]
        assert actions is UNKNOWN or len(actions) >= 1, f"{address}: no alarm actions"
        refs = expression_references(plan.config_resource(address)["expressions"]["alarm_actions"])
        assert refs, f"{address}: alarm_actions must reference the topic"

    functions = state_resources(state, "aws_lambda_function")
    alerts = env_of(functions[one_address(functions, "module.archiver.aws_lambda_function.this")])[
        "ALERTS_TOPIC_ARN"
    ]
    applied = state_resources(state, "aws_cloudwatch_metric_alarm")
    assert set(applied) == set(alarms)
    for address, alarm in applied.items():
        assert alarm["alarm_actions"] == [alerts], f"{address}: {alarm['alarm_actions']} != [{alerts}]"
    names = [a["alarm_name"] for a in applied.values()]
    for alarm in (
        "queue-depth",
        "oldest-message-age",
        "dlq-not-empty",
        "consumer-errors",
        "consumer-throttles",
        "input-failures",
        "systemic-errors",
    ):
        assert any(name.endswith(f"-{alarm}") for name in names), f"no {alarm} alarm in {names}"
    # Batch mode's own alarms (through the same topic, checked above) come with it, and only with it.
    for alarm in BATCH_ALARMS:
        found = [name for name in names if name.endswith(f"-{alarm}")]
        assert len(found) == (1 if batch_enabled(plan) else 0), f"{alarm}: {found}"
    # Input failures are counted by the functions (EMF) under the stack's namespace and service.
    (input_failures,) = [a for a in applied.values() if a["alarm_name"].endswith("-input-failures")]
    consumer_env = env_of(functions[one_address(functions, "module.consumer.aws_lambda_function.this")])
    assert input_failures["namespace"] == consumer_env["POWERTOOLS_METRICS_NAMESPACE"]
    assert input_failures["metric_name"] == "JobsFailedOnInput"
    assert input_failures["dimensions"] == {"service": consumer_env["POWERTOOLS_SERVICE_NAME"]}
    (systemic,) = [a for a in applied.values() if a["alarm_name"].endswith("-systemic-errors")]
    assert (systemic["namespace"], systemic["metric_name"]) == (input_failures["namespace"], "SystemicErrors")
    assert systemic["dimensions"] == input_failures["dimensions"]


# ------------------------------------------------------------------------------------------
# Event source mappings, Function URL, functions
# ------------------------------------------------------------------------------------------


def test_consumer_event_source_mapping(plan: Plan, stack: str) -> None:
    mappings = plan.resources("aws_lambda_event_source_mapping")
    consumer = mappings[one_address(mappings, "module.consumer.aws_lambda_event_source_mapping.this[0]")]
    expected = EXPECTED[stack]
    assert consumer["function_response_types"] == ["ReportBatchItemFailures"]
    assert consumer["scaling_config"][0]["maximum_concurrency"] == expected["max_concurrency"]
    assert consumer["batch_size"] == expected["batch"]
    assert consumer["maximum_batching_window_in_seconds"] == expected["window"]
    assert consumer["enabled"] is True


def test_every_mapping_reports_batch_item_failures(plan: Plan) -> None:
    mappings = plan.resources("aws_lambda_event_source_mapping")
    assert len(mappings) == 2, sorted(mappings)
    for address, mapping in mappings.items():
        assert mapping["function_response_types"] == ["ReportBatchItemFailures"], address
        assert mapping["scaling_config"][0]["maximum_concurrency"] >= 2, address


def test_mappings_read_the_right_queues(plan: Plan, state: dict[str, Any]) -> None:
    for role, output in (("consumer", "module.queue.queue_arn"), ("archiver", "module.queue.dlq_arn")):
        address = one_address(
            plan.addresses("aws_lambda_event_source_mapping"),
            f"module.{role}.aws_lambda_event_source_mapping.this[0]",
        )
        modules, _ = split_address(address)
        call = plan.config_module_call(modules)
        assert output in expression_references(call["expressions"]["event_source_arn"]), (
            f"module.{role} must be fed by {output}"
        )
    queues = state_resources(state, "aws_sqs_queue")
    mappings = state_resources(state, "aws_lambda_event_source_mapping")
    main = queues[one_address(queues, "module.queue.aws_sqs_queue.this")]
    dlq = queues[one_address(queues, "module.queue.aws_sqs_queue.dlq")]
    consumer = mappings[one_address(mappings, "module.consumer.aws_lambda_event_source_mapping.this[0]")]
    archiver = mappings[one_address(mappings, "module.archiver.aws_lambda_event_source_mapping.this[0]")]
    assert consumer["event_source_arn"] == main["arn"]
    assert archiver["event_source_arn"] == dlq["arn"], "the DLQ archiver must read the DLQ"


def test_producer_function_url_uses_aws_iam(plan: Plan) -> None:
    urls = plan.resources("aws_lambda_function_url")
    url = urls[one_address(urls, "aws_lambda_function_url.producer[0]")]
    assert url["authorization_type"] == "AWS_IAM"
    assert url["function_name"].endswith("-producer")


def test_functions_trace_and_run_the_expected_handlers(plan: Plan) -> None:
    functions = plan.resources("aws_lambda_function")
    handlers = stack_handlers(plan)
    assert sorted(f["handler"] for f in functions.values()) == sorted(handlers.values())
    for role, handler in handlers.items():
        function = functions[function_address(plan, role)]
        assert function["handler"] == handler
        assert function["tracing_config"][0]["mode"] == "Active"
        assert function["runtime"] in ("python3.12", "python3.13")


def _package_env_names() -> set[str]:
    names = set()
    for source in (REPO_ROOT / "functions" / "bedrock_jobs").glob("*.py"):
        text = source.read_text()
        names |= set(re.findall(r'_(?:str|int|float)\(\s*"([A-Z0-9_]+)"', text))
        names |= set(re.findall(r'environ(?:\.get)?[\(\[]\s*"([A-Z0-9_]+)"', text))
    # Read by Powertools itself.
    return names | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def test_functions_get_the_environment_the_package_needs(plan: Plan) -> None:
    known = _package_env_names()
    assert {"JOBS_TABLE", "QUEUE_URL", "MODEL_ID", "ARCHIVE_BUCKET", "ALERTS_TOPIC_ARN"} <= known
    functions = plan.resources("aws_lambda_function")
    assert set(REQUIRED_ENV) == set(HANDLERS) | set(BATCH_HANDLERS)
    for role in stack_handlers(plan):
        required = REQUIRED_ENV[role]
        env = env_of(functions[function_address(plan, role)])
        assert required <= set(env), f"{role} lacks {sorted(required - set(env))}"
        unused = set(env) - known
        assert not unused, f"{role} gets variables the package never reads (typos?): {sorted(unused)}"
        for name in required:
            value = env[name]
            assert value is UNKNOWN or (isinstance(value, str) and value), f"{role}: {name} is empty"
    consumer = env_of(functions[function_address(plan, "consumer")])
    assert isinstance(consumer["MODEL_ID"], str) and consumer["MODEL_ID"]


def test_environment_points_at_the_stack_resources(state: dict[str, Any]) -> None:
    functions = state_resources(state, "aws_lambda_function")
    env = {split_address(address)[0][-1]: env_of(values) for address, values in functions.items()}
    assert set(HANDLERS) <= set(env)
    tables = state_resources(state, "aws_dynamodb_table")
    queues = state_resources(state, "aws_sqs_queue")
    main = queues[one_address(queues, "module.queue.aws_sqs_queue.this")]
    buckets = {v["bucket"] for v in state_resources(state, "aws_s3_bucket").values()}
    table = tables[one_address(tables, "aws_dynamodb_table.jobs")]["name"]
    for role in env:
        assert env[role]["JOBS_TABLE"] == table, role
    assert env["producer"]["QUEUE_URL"] in (main["id"], main["url"])
    assert env["consumer"]["QUEUE_URL"] == env["producer"]["QUEUE_URL"]
    assert env["producer"]["PAYLOAD_BUCKET"] in buckets
    assert env["consumer"]["PAYLOAD_BUCKET"] == env["producer"]["PAYLOAD_BUCKET"]
    assert env["archiver"]["ARCHIVE_BUCKET"] in buckets
    assert env["consumer"]["ARCHIVE_BUCKET"] == env["archiver"]["ARCHIVE_BUCKET"]
    if "batch_submitter" in env:
        batch_queue = queues[one_address(queues, "module.batch_queue[0].aws_sqs_queue.this")]
        for role in ("producer", "batch_submitter"):
            assert env[role]["BATCH_QUEUE_URL"] in (batch_queue["id"], batch_queue["url"]), role
        roles = state_resources(state, "aws_iam_role")
        service_role = roles[one_address(roles, "aws_iam_role.batch_bedrock[0]")]["arn"]
        for role in BATCH_HANDLERS:
            # Fallbacks go to the realtime queue; batch files to the payload bucket (SPEC's default).
            assert env[role]["QUEUE_URL"] == env["producer"]["QUEUE_URL"], role
            assert env[role]["BATCH_BUCKET"] == env["producer"]["PAYLOAD_BUCKET"], role
            assert env[role]["BATCH_ROLE_ARN"] == service_role, role
    else:
        # No batch queue: the producer refuses "mode": "batch" rather than send it anywhere.
        assert not env["producer"].get("BATCH_QUEUE_URL")


def test_consumer_worst_case_fits_its_timeout_and_the_lease_its_visibility(
    plan: Plan, stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    functions = plan.resources("aws_lambda_function")
    consumer = functions[function_address(plan, "consumer")]
    env = env_of(consumer)
    timeout = consumer["timeout"]
    attempts = int(env["BEDROCK_MAX_ATTEMPTS"])
    per_attempt = float(env["BEDROCK_CONNECT_TIMEOUT_SECONDS"]) + float(env["BEDROCK_READ_TIMEOUT_SECONDS"])
    backoff = sum(min(20.0, 2.0**n) for n in range(1, attempts))
    budget = attempts * per_attempt + backoff + 3
    assert budget <= timeout, f"one record may take {budget} s, the consumer times out after {timeout} s"

    # The same figure from the package's own configuration code.
    from bedrock_jobs import config

    for name in _package_env_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    config.get_settings.cache_clear()
    try:
        settings = config.get_settings()
    finally:
        config.get_settings.cache_clear()
    assert settings.record_budget_seconds == pytest.approx(budget)

    queues = plan.resources("aws_sqs_queue")
    visibility = queues[one_address(queues, "module.queue.aws_sqs_queue.this")]["visibility_timeout_seconds"]
    assert visibility == EXPECTED[stack]["visibility"]
    assert visibility >= 6 * timeout + (EXPECTED[stack]["window"] or 0)
    if "JOB_LEASE_SECONDS" in env:
        lease = int(env["JOB_LEASE_SECONDS"])
        assert timeout <= lease < visibility, (
            f"lease {lease} s must outlive {timeout} s and expire before {visibility} s"
        )


# ------------------------------------------------------------------------------------------
# Queues
# ------------------------------------------------------------------------------------------


def test_queue_pair_settings(plan: Plan, stack: str, state: dict[str, Any]) -> None:
    queues = plan.resources("aws_sqs_queue")
    main = queues[one_address(queues, "module.queue.aws_sqs_queue.this")]
    dlq = queues[one_address(queues, "module.queue.aws_sqs_queue.dlq")]
    for queue in (main, dlq):
        assert queue["message_retention_seconds"] == 14 * 24 * 3600
        assert queue["receive_wait_time_seconds"] == 20
    fifo = EXPECTED[stack]["fifo"]
    assert main["fifo_queue"] is fifo and dlq["fifo_queue"] is fifo
    assert main["name"].endswith(".fifo") is fifo and dlq["name"].endswith(".fifo") is fifo
    assert dlq["name"] == main["name"].removesuffix(".fifo") + "-dlq" + (".fifo" if fifo else "")
    if fifo:
        # examples/fifo asks for content-based deduplication and high throughput.
        for queue in (main, dlq):
            assert queue["content_based_deduplication"] is True
            assert queue["deduplication_scope"] == "messageGroup"
            assert queue["fifo_throughput_limit"] == "perMessageGroupId"

    applied = state_resources(state, "aws_sqs_queue")
    main_arn = applied[one_address(applied, "module.queue.aws_sqs_queue.this")]["arn"]
    dlq_arn = applied[one_address(applied, "module.queue.aws_sqs_queue.dlq")]["arn"]
    redrives = state_resources(state, "aws_sqs_queue_redrive_policy")
    redrive = json.loads(
        redrives[one_address(redrives, "module.queue.aws_sqs_queue_redrive_policy.this")]["redrive_policy"]
    )
    assert redrive == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}
    allows = state_resources(state, "aws_sqs_queue_redrive_allow_policy")
    main_allow = allows[one_address(allows, "module.queue.aws_sqs_queue_redrive_allow_policy.dlq")]
    allow = json.loads(main_allow["redrive_allow_policy"])
    assert allow == {"redrivePermission": "byQueue", "sourceQueueArns": [main_arn]}
    # The main pair, plus the batch pair with batch on: no other queue, redrive or allow policy.
    pairs = 2 if batch_enabled(plan) else 1
    assert (len(applied), len(redrives), len(allows)) == (2 * pairs, pairs, pairs)
    if batch_enabled(plan):
        # The submitter receives a waiting job once per run without deleting it: SQS's maximum receive
        # count keeps it off the batch DLQ for as long as it may wait (batch.tf).
        batch_main = applied[one_address(applied, "module.batch_queue[0].aws_sqs_queue.this")]["arn"]
        batch_dlq = applied[one_address(applied, "module.batch_queue[0].aws_sqs_queue.dlq")]["arn"]
        batch_redrive = json.loads(
            redrives[one_address(redrives, "module.batch_queue[0].aws_sqs_queue_redrive_policy.this")][
                "redrive_policy"
            ]
        )
        assert batch_redrive == {"deadLetterTargetArn": batch_dlq, "maxReceiveCount": 1000}
        batch_allow = json.loads(
            allows[one_address(allows, "module.batch_queue[0].aws_sqs_queue_redrive_allow_policy.dlq")][
                "redrive_allow_policy"
            ]
        )
        assert batch_allow == {"redrivePermission": "byQueue", "sourceQueueArns": [batch_main]}


def test_plans_are_complete_and_known_where_it_matters(plan: Plan) -> None:
    assert plan.data["errored"] is False and plan.data["complete"] is True
    functions = plan.resources("aws_lambda_function")
    for values in functions.values():
        assert is_known(values["handler"]) and is_known(values["tracing_config"])


# ------------------------------------------------------------------------------------------
# The least-privilege rules themselves
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "actions", "allowed"),
    [
        ("*", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], True),
        ("*", ["s3:GetObject"], False),
        ("*", ["xray:PutTraceSegments", "xray:GetTraceSummaries"], False),
        ("arn:aws:s3:::payload/documents/*", ["s3:GetObject", "s3:PutObject"], True),
        ("arn:aws:s3:::*", ["s3:GetObject"], False),
        ("arn:aws:s3:::payload/doc*", ["s3:GetObject"], False),
        ("arn:aws:s3:::payload/*/results", ["s3:GetObject"], False),
        ("arn:aws:sqs:us-east-1:123456789012:jobs", ["sns:Publish"], False),
        ("arn:aws:sqs:us-east-1:123456789012:jobs", ["sqs:SendMessage"], True),
        ("arn:aws:sqs:*:123456789012:jobs", ["sqs:SendMessage"], False),
        ("arn:aws:sqs:us-east-1:*:jobs", ["sqs:SendMessage"], False),
        ("arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0", ["bedrock:InvokeModel"], True),
        (
            "arn:aws:bedrock:*:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
            ["bedrock:InvokeModel"],
            False,
        ),
        (
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:log-stream:*",
            ["logs:PutLogEvents"],
            True,
        ),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/*", ["dynamodb:GetItem"], False),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/jobs", ["dynamodb:GetItem"], True),
        (
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ["kms:Decrypt"],
            True,
        ),
        ("arn:aws:lambda:us-east-1:123456789012:function:*", ["lambda:InvokeFunction"], False),
        ("jobs-table", ["dynamodb:GetItem"], False),
    ],
)
def test_resource_rule(resource: str, actions: list[str], allowed: bool) -> None:
    assert (check_resource(resource, actions) is None) is allowed


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        ("s3:GetObject", True),
        ("s3:*", False),
        ("*", False),
        ("s3:Get*", False),
        ("kms:GenerateDataKey*", False),
    ],
)
def test_action_rule(action: str, allowed: bool) -> None:
    assert (check_action(action) is None) is allowed


def test_example_key_policy_lets_eventbridge_deliver_to_encrypted_queues(workspace: Workspace) -> None:
    """SQS Developer Guide ("Enable compatibility between event sources from AWS services and encrypted
    queues"): EventBridge needs kms:GenerateDataKey and kms:Decrypt, and sends no aws:SourceAccount or
    aws:SourceArn on the KMS calls SQS makes for it, so a statement conditioned on them drops every
    delivery."""
    plan = workspace.plan(STACKS["existing-topic-and-kms"])
    policy = plan.values("data.aws_iam_policy_document.kms")["json"]
    for_eventbridge = [
        s
        for s in rendered_statements(policy)
        if "events.amazonaws.com" in as_list(s.get("Principal", {}).get("Service", []))
    ]
    assert for_eventbridge, "the key policy must let EventBridge use the key"
    for statement in for_eventbridge:
        assert {"kms:GenerateDataKey", "kms:Decrypt"} <= set(as_list(statement["Action"]))
        keys = {k for test in (statement.get("Condition") or {}).values() for k in test}
        assert not keys & {"aws:SourceAccount", "aws:SourceArn"}, f"{statement['Sid']}: {keys}"
