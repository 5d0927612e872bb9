"""Checks and behaviours of the real hashicorp/aws provider that the offline stand-in imitates.

Three kinds, each with the source it follows cited next to it:

* **plan-time name validation** -- what the provider's ``ValidateFunc``s report from
  ValidateResourceConfig (``terraform validate``/``plan``), with the provider's wording: SDKv2's
  ``validation.StringLenBetween`` says ``expected length of name to be in the range (1 - 64),
  got …``, ``validation.StringMatch`` says ``invalid value for name (…)``; the diagnostic points
  at the attribute. Values not known yet (``UNKNOWN``) are never checked, as in the SDK. A few
  limits the provider leaves to the AWS API (which then fails the *apply*) are reported at plan
  as well, worded ``… (AWS API limit)`` and explained in the detail, so that plan-only tests
  catch them; they are marked ``api=True`` below;
* **plan-time CustomizeDiff checks** -- the SQS queue / SNS topic name checks, which run while
  planning a create (``invalid queue name: …``);
* **apply-time file reads** -- ``aws_lambda_function``/``aws_lambda_layer_version`` read
  ``filename`` and ``aws_s3_object`` opens ``source`` only when they call AWS, relative to the
  provider process's working directory (= Terraform's), and fail if the file is gone;
* **generated names** -- ``name_prefix`` & co. become ``prefix + 26 characters`` at apply, as
  terraform-plugin-sdk's ``id.PrefixedUniqueId`` makes them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import cty
from .provider_base import Diagnostic, ProviderError

# --------------------------------------------------------------------------------------
# Unique ids: terraform-plugin-sdk/v2 helper/id/id.go
# --------------------------------------------------------------------------------------

# id.UniqueIdPrefix and id.UniqueIDSuffixLength.
UNIQUE_ID_PREFIX = "terraform-"
UNIQUE_ID_SUFFIX_LENGTH = 26

_id_lock = threading.Lock()
# id.go starts its counter at 0 in every provider process; Terraform runs one process per
# provider configuration, and two of them can mint ids in the same 100 µs, so the offline
# counter starts at a per-process offset instead (ids keep the real 18 + 8 hex digit shape).
_id_counter = (os.getpid() & 0xFFFF) << 16


def prefixed_unique_id(prefix: str) -> str:
    """id.PrefixedUniqueId: prefix + UTC timestamp to 1/10000 s (18 digits) + counter (8 hex)."""
    global _id_counter
    now = dt.datetime.now(dt.UTC)
    timestamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 100:04d}"
    with _id_lock:
        _id_counter = (_id_counter + 1) & 0xFFFFFFFF
        return f"{prefix}{timestamp}{_id_counter:08x}"


def create_name(name: str | None, prefix: str | None, suffix: str = "") -> str:
    """internal/create/naming.go Name/NameWithSuffix: the name, else prefix + unique id, else
    "terraform-" + unique id (the suffix, e.g. ".fifo", appended to generated names)."""
    if name:
        return name
    return prefixed_unique_id(prefix if prefix else UNIQUE_ID_PREFIX) + suffix


_UNIQUE_SUFFIX = re.compile(f"[0-9A-Fa-f]{{{UNIQUE_ID_SUFFIX_LENGTH}}}")


def name_prefix_from_name(name: str, suffix: str = "") -> str:
    """internal/create/naming.go NamePrefixFromNameWithSuffix; its nil becomes "" in state."""
    if suffix and not name.endswith(suffix):
        return ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    if len(stem) < UNIQUE_ID_SUFFIX_LENGTH or not _UNIQUE_SUFFIX.fullmatch(stem[-UNIQUE_ID_SUFFIX_LENGTH:]):
        return ""
    return stem[:-UNIQUE_ID_SUFFIX_LENGTH]


# A representative generated suffix, for checks of names that exist only after apply.
_SAMPLE_UNIQUE_ID = "2".ljust(UNIQUE_ID_SUFFIX_LENGTH - 8, "0") + "00000001"


# --------------------------------------------------------------------------------------
# Validators (terraform-plugin-sdk/v2 helper/validation and the provider's own)
# --------------------------------------------------------------------------------------

# A validator returns the error texts for (value, attribute name).
Validator = Callable[[str, str], list[str]]


def go_quote(value: str) -> str:
    """Go's %q for the strings these messages contain."""
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def string_len_between(low: int, high: int) -> Validator:
    # helper/validation/strings.go StringLenBetween (len() counts bytes, as in Go).
    def check(value: str, key: str) -> list[str]:
        n = len(value.encode())
        if n < low or n > high:
            return [f"expected length of {key} to be in the range ({low} - {high}), got {value}"]
        return []

    return check


def string_match(pattern: str, message: str) -> Validator:
    # helper/validation/strings.go StringMatch.
    regex = re.compile(pattern)

    def check(value: str, key: str) -> list[str]:
        if regex.search(value) is None:
            if message:
                return [f"invalid value for {key} ({message})"]
            return [f"expected value of {key} to match regular expression {go_quote(pattern)}, got {value}"]
        return []

    return check


def max_len_quoted(limit: int) -> Validator:
    # The provider's hand-written validators: fmt.Errorf("%q cannot be longer than N characters: %q").
    def check(value: str, key: str) -> list[str]:
        if len(value.encode()) > limit:
            return [f"{go_quote(key)} cannot be longer than {limit} characters: {go_quote(value)}"]
        return []

    return check


def complies(pattern: str) -> Validator:
    # fmt.Errorf("%q doesn't comply with restrictions (%q): %q", k, pattern, value)
    regex = re.compile(pattern)

    def check(value: str, key: str) -> list[str]:
        if regex.search(value) is None:
            return [
                f"{go_quote(key)} doesn't comply with restrictions ({go_quote(pattern)}): {go_quote(value)}"
            ]
        return []

    return check


def iam_resource_name(max_len: int) -> list[Validator]:
    # internal/service/iam/validate.go validResourceName(max):
    #   validation.All(StringLenBetween(1, max), StringMatch(`^[\w+=,.@-]*$`, "must match [\\w+=,.@-]"))
    # limits from role.go (roleNameMaxLen = 64, roleNamePrefixMaxLen = 64 - 26), policy.go and
    # role_policy.go (128, 128 - 26).
    return [string_len_between(1, max_len), string_match(r"^[\w+=,.@-]*$", r"must match [\w+=,.@-]")]


_FUNCTION_NAME = (
    r"^(arn:[\w-]+:lambda:)?([a-z]{2}-(?:[a-z]+-){1,2}\d{1}:)?(\d{12}:)?(function:)?"
    r"([0-9A-Za-z_-]+)(:(\$LATEST|[0-9A-Za-z_-]+))?$"
)
_FUNCTION_FULL_ARN = re.compile(
    r"^arn:[\w-]+:lambda:[a-z]{2}-(?:[a-z]+-){1,2}\d{1}:\d{12}:function:([0-9A-Za-z_-]+)"
    r"(:(\$LATEST|[0-9A-Za-z_-]+))?$"
)
_FUNCTION_PARTIAL_ARN = re.compile(r"^\d{12}:function:([0-9A-Za-z_-]+)$")


def _function_name_at_most_64(value: str, key: str) -> list[str]:
    match = _FUNCTION_FULL_ARN.match(value) or _FUNCTION_PARTIAL_ARN.match(value)
    name = match.group(1) if match else value
    if len(name) > 64:
        return [
            "expected length of the Lambda function name to be less than or equal to 64, "
            f"got {name} ({len(name)} characters)"
        ]
    return []


# internal/service/lambda/validate.go validFunctionName(): the name-or-ARN pattern, 1-140
# characters, and the name part at most 64 (the last check is in the provider's main branch;
# with older releases CreateFunction's "Member must have length less than or equal to 64"
# fails the apply instead -- API_CreateFunction.html, FunctionName).
FUNCTION_NAME = [
    string_match(_FUNCTION_NAME, "must be valid function name or function ARN"),
    string_len_between(1, 140),
    _function_name_at_most_64,
]

# internal/service/lambda/validate.go validPolicyStatementID() (API_AddPermission.html, StatementId).
POLICY_STATEMENT_ID = [
    string_match(r"^[0-9A-Za-z_-]+$", "must contain alphanumeric, underscores or dashes only"),
    string_len_between(1, 100),
]

# internal/service/events/validate.go validateRuleName / validateTargetID
# (API_PutRule.html Name, API_Target.html Id: 1-64, [\.\-_A-Za-z0-9]+).
EVENTBRIDGE_NAME = [max_len_quoted(64), complies(r"^[0-9A-Za-z_.-]+$")]


def _log_group_name(limit: int) -> list[Validator]:
    # internal/service/logs/validate.go validLogGroupName (512) / validLogGroupNamePrefix (483)
    # (API_CreateLogGroup.html, logGroupName).
    regex = re.compile(r"^[0-9A-Za-z_./#-]+$")

    def chars(value: str, key: str) -> list[str]:
        if regex.search(value) is None:
            return [
                f"{go_quote(key)} isn't a valid log group name (alphanumeric characters, underscores, "
                f"hyphens, slashes, hash signs and dots are allowed): {go_quote(value)}"
            ]
        return []

    return [max_len_quoted(limit), chars]


def _kms_alias_name(value: str, key: str) -> list[str]:
    # internal/service/kms/validate.go validNameForResource.
    errors = []
    if value.startswith("alias/aws/"):
        errors.append(f"{go_quote(key)} cannot begin with reserved AWS CMK prefix 'alias/aws/'")
    if re.fullmatch(r"alias/[0-9A-Za-z_/-]+", value) is None:
        errors.append(f"{go_quote(key)} must begin with 'alias/' and be comprised of only [0-9A-Za-z_/-]")
    return errors


def api_max_len(limit: int, what: str, reference: str, generated: bool = False) -> Validator:
    """An AWS API length limit the provider does not validate itself (the API fails the apply).

    ``generated``: the attribute is a prefix that gets 26 more characters at apply.
    """
    allowed = limit - UNIQUE_ID_SUFFIX_LENGTH if generated else limit

    def check(value: str, key: str) -> list[str]:
        if len(value.encode()) > allowed:
            return [f"expected length of {key} to be at most {allowed} (AWS API limit), got {value}"]
        return []

    check.detail = (  # type: ignore[attr-defined]
        f"{what} are limited to {limit} characters ({reference})"
        + (f"; the provider appends {UNIQUE_ID_SUFFIX_LENGTH} characters to {{key}}" if generated else "")
        + ". The real hashicorp/aws provider leaves this to the AWS API, which rejects the value when "
        "terraform apply calls it; the offline provider reports it while planning."
    )
    return check


def api_match(pattern: str, what: str, reference: str, low: int = 1, high: int = 0) -> Validator:
    """An AWS API character-set (and length) constraint the provider does not validate itself."""
    regex = re.compile(pattern)

    def check(value: str, key: str) -> list[str]:
        errors = []
        n = len(value.encode())
        if n < low or (high and n > high):
            errors.append(
                f"expected length of {key} to be in the range ({low} - {high}) (AWS API limit), got {value}"
            )
        if regex.search(value) is None:
            errors.append(f"invalid value for {key} ({what} must match {pattern} (AWS API limit))")
        return errors

    check.detail = (  # type: ignore[attr-defined]
        f"{what}: {reference}. The real hashicorp/aws provider leaves this to the AWS API, which "
        "rejects the value when terraform apply calls it; the offline provider reports it while planning."
    )
    return check


_BUCKET_RULES_URL = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"


@dataclass(frozen=True)
class NameRule:
    """Validators of one attribute (checked only when its value is a known string)."""

    validators: tuple[Validator, ...]


def _rule(*validators: Validator | list[Validator]) -> NameRule:
    flat: list[Validator] = []
    for v in validators:
        flat.extend(v if isinstance(v, list) else [v])
    return NameRule(tuple(flat))


# resource type → attribute → rule. Sources: the provider files named in the validators above,
# plus the resource files: iam/role.go, iam/policy.go, iam/role_policy.go, lambda/function.go,
# lambda/permission.go, events/rule.go, events/target.go, cloudwatch/metric_alarm.go
# (alarm_name: StringLenBetween(1, 255)), cloudwatch/dashboard.go (validDashboardName),
# logs/group.go, kms/alias.go, s3/bucket.go (bucket: StringLenBetween(0, 63), bucket_prefix:
# StringLenBetween(0, 63 - 26)), scheduler/schedule.go (name: StringLenBetween(1, 64) +
# `^[0-9A-Za-z_.-]+$`, name_prefix: StringLenBetween(1, 64 - 26) + same).
_SCHEDULE_NAME_MESSAGE = "The name must consist of alphanumerics, hyphens, and underscores."
NAME_RULES: dict[str, dict[str, NameRule]] = {
    "aws_iam_role": {"name": _rule(iam_resource_name(64)), "name_prefix": _rule(iam_resource_name(38))},
    "aws_iam_policy": {"name": _rule(iam_resource_name(128)), "name_prefix": _rule(iam_resource_name(102))},
    "aws_iam_role_policy": {
        "name": _rule(iam_resource_name(128)),
        "name_prefix": _rule(iam_resource_name(102)),
    },
    "aws_lambda_function": {"function_name": _rule(FUNCTION_NAME)},
    "aws_lambda_permission": {
        "function_name": _rule(FUNCTION_NAME),
        "statement_id": _rule(POLICY_STATEMENT_ID),
        "statement_id_prefix": _rule(
            POLICY_STATEMENT_ID,
            api_max_len(
                100,
                "Lambda permission statement ids",
                "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html",
                generated=True,
            ),
        ),
    },
    "aws_cloudwatch_event_rule": {
        "name": _rule(EVENTBRIDGE_NAME),
        "name_prefix": _rule(
            EVENTBRIDGE_NAME,
            api_max_len(
                64,
                "EventBridge rule names",
                "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html",
                generated=True,
            ),
        ),
    },
    "aws_cloudwatch_event_target": {"target_id": _rule(EVENTBRIDGE_NAME), "rule": _rule(EVENTBRIDGE_NAME)},
    "aws_cloudwatch_metric_alarm": {"alarm_name": _rule(string_len_between(1, 255))},
    "aws_cloudwatch_composite_alarm": {"alarm_name": _rule(string_len_between(1, 255))},
    "aws_cloudwatch_log_group": {
        "name": _rule(_log_group_name(512)),
        "name_prefix": _rule(_log_group_name(483)),
    },
    "aws_cloudwatch_dashboard": {
        "dashboard_name": _rule(max_len_quoted(255), complies(r"^[0-9A-Za-z_-]+$")),
    },
    "aws_kms_alias": {
        "name": _rule(
            _kms_alias_name,
            api_max_len(
                256,
                "KMS alias names",
                "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
            ),
        ),
        "name_prefix": _rule(
            _kms_alias_name,
            api_max_len(
                256,
                "KMS alias names",
                "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
                generated=True,
            ),
        ),
    },
    "aws_dynamodb_table": {
        "name": _rule(
            api_match(
                r"^[0-9A-Za-z_.-]+$",
                "DynamoDB table names",
                "3-255 characters of [a-zA-Z0-9_.-] "
                "(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html)",
                low=3,
                high=255,
            )
        ),
    },
    "aws_s3_bucket": {
        "bucket": _rule(
            string_len_between(0, 63),
            api_match(
                r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
                "S3 bucket names",
                "3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter "
                f"or digit ({_BUCKET_RULES_URL})",
                low=3,
                high=63,
            ),
        ),
        "bucket_prefix": _rule(string_len_between(0, 63 - UNIQUE_ID_SUFFIX_LENGTH)),
    },
    "aws_scheduler_schedule": {
        "name": _rule(string_len_between(1, 64), string_match(r"^[0-9A-Za-z_.-]+$", _SCHEDULE_NAME_MESSAGE)),
        "name_prefix": _rule(
            string_len_between(1, 64 - UNIQUE_ID_SUFFIX_LENGTH),
            string_match(r"^[0-9A-Za-z_.-]+$", _SCHEDULE_NAME_MESSAGE),
        ),
    },
}


def validate_names(type_name: str, config: Any, attributes: Any = None) -> list[Diagnostic]:
    """ValidateResourceConfig diagnostics for the name attributes of ``type_name``.

    ``attributes``: names the served schema has (a rule for an attribute the schema of this
    provider version lacks is skipped).
    """
    rules = NAME_RULES.get(type_name)
    if not rules or not isinstance(config, dict):
        return []
    diags: list[Diagnostic] = []
    for attr, rule in rules.items():
        if attributes is not None and attr not in attributes:
            continue
        value = config.get(attr)
        if not isinstance(value, str):  # null or UNKNOWN: not checked, as in the SDK
            continue
        for validator in rule.validators:
            detail = getattr(validator, "detail", "").replace("{key}", attr)
            diags.extend(Diagnostic(msg, detail, (attr,)) for msg in validator(value, attr))
    return diags


# --------------------------------------------------------------------------------------
# CustomizeDiff name checks (plan of a create)
# --------------------------------------------------------------------------------------


def _fifo(config: dict[str, Any], attr: str) -> bool:
    return config.get(attr) is True


def customize_diff_errors(type_name: str, planned: dict[str, Any]) -> list[Diagnostic]:
    """Errors the provider's CustomizeDiff returns while planning the create of ``type_name``.

    internal/service/sqs/queue.go resourceQueueCustomizeDiff and internal/service/sns/topic.go
    resourceTopicCustomizeDiff build the name the create would use (create.Name /
    create.NameWithSuffix(name, name_prefix, ".fifo")) and match it against
    ``^[0-9A-Za-z_-]{1,80}$`` / ``^[0-9A-Za-z_-]{1,75}\\.fifo$`` (queues; CreateQueue's QueueName)
    and ``^[0-9A-Za-z_-]{1,256}$`` / ``^[0-9A-Za-z_-]{1,251}\\.fifo$`` (topics), failing with
    ``invalid queue name: <name>`` / ``invalid topic name: <name>`` (no attribute path).
    """
    if type_name == "aws_sqs_queue":
        fifo, kind, plain, fifo_re = (
            "fifo_queue",
            "queue",
            r"[0-9A-Za-z_-]{1,80}",
            r"[0-9A-Za-z_-]{1,75}\.fifo",
        )
    elif type_name == "aws_sns_topic":
        fifo, kind, plain, fifo_re = (
            "fifo_topic",
            "topic",
            r"[0-9A-Za-z_-]{1,256}",
            r"[0-9A-Za-z_-]{1,251}\.fifo",
        )
    else:
        return []
    # diff.Get of a null or unknown value is the zero value ("" / false) in the SDK.
    name, prefix, is_fifo = planned.get("name"), planned.get("name_prefix"), planned.get(fifo)
    if not isinstance(name, str) or not name:
        # A generated name: the provider checks prefix + a fresh unique id.
        name = (prefix if isinstance(prefix, str) and prefix else UNIQUE_ID_PREFIX) + _SAMPLE_UNIQUE_ID
        if is_fifo is True:
            name += ".fifo"
    pattern = fifo_re if is_fifo is True else plain
    if re.fullmatch(pattern, name) is None:
        return [Diagnostic(f"invalid {kind} name: {name}")]
    return []


# --------------------------------------------------------------------------------------
# Generated names at apply
# --------------------------------------------------------------------------------------

# (name attribute, prefix attribute or None, fixed prefix used when neither is set).
GENERATED_NAMES: dict[str, tuple[str, str | None, str]] = {
    # internal/service/lambda/permission.go: create.Name(statement_id, statement_id_prefix).
    "aws_lambda_permission": ("statement_id", "statement_id_prefix", UNIQUE_ID_PREFIX),
    # internal/service/s3/bucket.go: create.Name(bucket, bucket_prefix).
    "aws_s3_bucket": ("bucket", "bucket_prefix", UNIQUE_ID_PREFIX),
    # internal/service/kms/alias.go: the prefix defaults to "alias/".
    "aws_kms_alias": ("name", "name_prefix", "alias/"),
    # internal/service/events/target.go: target_id defaults to id.UniqueId().
    "aws_cloudwatch_event_target": ("target_id", None, UNIQUE_ID_PREFIX),
}
_FIFO_ATTR = {"aws_sqs_queue": "fifo_queue", "aws_sns_topic": "fifo_topic"}


def fill_generated_names(type_name: str, attrs: Any, obj: dict[str, Any]) -> dict[str, Any]:
    """Give ``obj`` (a planned create) the names the provider would generate at apply.

    A resource whose schema has ``name`` and ``name_prefix`` (both Optional+Computed, e.g. IAM
    roles, SQS queues, log groups, EventBridge rules) gets ``name_prefix`` + 26 characters, or
    "terraform-" + 26 characters without a prefix; ``name_prefix`` is then the prefix again
    (create.NamePrefixFromName in the resources' Read), "" for names given in full.
    """
    if type_name in GENERATED_NAMES:
        name_attr, prefix_attr, default_prefix = GENERATED_NAMES[type_name]
    elif "name" in attrs and "name_prefix" in attrs and attrs["name"].computed:
        name_attr, prefix_attr, default_prefix = "name", "name_prefix", UNIQUE_ID_PREFIX
    else:
        return obj
    if name_attr not in attrs:
        return obj
    out = dict(obj)
    suffix = ".fifo" if out.get(_FIFO_ATTR.get(type_name, "")) is True else ""
    if out.get(name_attr) is cty.UNKNOWN:
        prefix = out.get(prefix_attr) if prefix_attr else None
        if not isinstance(prefix, str) or not prefix:
            prefix = default_prefix
        out[name_attr] = prefixed_unique_id(prefix) + suffix
    if prefix_attr and prefix_attr in attrs and out.get(prefix_attr) is cty.UNKNOWN:
        name = out.get(name_attr)
        out[prefix_attr] = name_prefix_from_name(name, suffix) if isinstance(name, str) else ""
    return out


# --------------------------------------------------------------------------------------
# Files read at apply
# --------------------------------------------------------------------------------------

# internal/service/lambda/function.go needsFunctionCodeUpdate: an update uploads the code again
# (UpdateFunctionCode, reading `filename`) when one of these changed.
_LAMBDA_CODE_ATTRS = (
    "filename",
    "source_code_hash",
    "s3_bucket",
    "s3_key",
    "s3_object_version",
    "image_uri",
    "architectures",
)
# internal/service/s3/object.go hasObjectContentChanges: an update uploads again when one changed.
_S3_OBJECT_CONTENT_ATTRS = (
    "bucket_key_enabled",
    "cache_control",
    "content_base64",
    "content_disposition",
    "content_encoding",
    "content_language",
    "content_type",
    "content",
    "etag",
    "kms_key_id",
    "metadata",
    "server_side_encryption",
    "source",
    "source_hash",
    "storage_class",
    "website_redirect",
)


def _expand_home(path: str) -> str:
    # github.com/mitchellh/go-homedir Expand: only a leading "~" (or "~/").
    if path == "~" or path.startswith("~/"):
        return os.path.expanduser("~") + path[1:]
    return path


def _open_error(path: str) -> str | None:
    """Go's os.Open/os.ReadFile error text for ``path`` (relative to the working directory)."""
    try:
        with open(path, "rb"):
            return None
    except FileNotFoundError:
        return f"open {path}: no such file or directory"
    except IsADirectoryError:
        return f"read {path}: is a directory"
    except PermissionError:
        return f"open {path}: permission denied"


def _changed(prior: dict[str, Any] | None, planned: dict[str, Any], attrs: tuple[str, ...]) -> bool:
    return prior is None or any(prior.get(a) != planned.get(a) for a in attrs)


def check_apply_files(type_name: str, prior: dict[str, Any] | None, planned: dict[str, Any]) -> None:
    """Raise the provider's error when apply would read a file that is not there."""
    if type_name in ("aws_lambda_function", "aws_lambda_layer_version"):
        # function.go resourceFunctionCreate / resourceFunctionUpdate and layer_version.go
        # resourceLayerVersionPublish: readFileContents(filename) (homedir.Expand + os.ReadFile),
        # then sdkdiag.AppendErrorf(diags, "reading ZIP file (%s): %s", v, err).
        filename = planned.get("filename")
        if not isinstance(filename, str) or not filename:
            return
        if type_name == "aws_lambda_function" and not _changed(prior, planned, _LAMBDA_CODE_ATTRS):
            return
        error = _open_error(_expand_home(filename))
        if error:
            raise ProviderError(f"reading ZIP file ({filename}): {error}")
    elif type_name == "aws_s3_object":
        # object.go resourceObjectUpload: path := homedir.Expand(source); os.Open(path) →
        # sdkdiag.AppendErrorf(diags, "opening S3 object source (%s): %s", path, err).
        source = planned.get("source")
        if (
            not isinstance(source, str)
            or not source
            or not _changed(prior, planned, _S3_OBJECT_CONTENT_ATTRS)
        ):
            return
        path = _expand_home(source)
        error = _open_error(path)
        if error:
            raise ProviderError(f"opening S3 object source ({path}): {error}")
