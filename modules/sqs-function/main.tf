data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.region

  # AWS's public Powertools for AWS Lambda (Python) v3 layer, e.g.
  # arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27
  # The publishing account differs per partition (Powertools docs, "Lambda Layer": 017000801446 in
  # the commercial regions, 498634801083 in the China regions); elsewhere (GovCloud, ISO) pass
  # powertools_layer_arn, which the precondition on the function asks for.
  powertools_layer_accounts = {
    aws    = "017000801446"
    aws-cn = "498634801083"
  }
  powertools_layer_arn = var.powertools_layer_arn != null ? var.powertools_layer_arn : (
    contains(keys(local.powertools_layer_accounts), local.partition) ? format(
      "arn:%s:lambda:%s:%s:layer:AWSLambdaPowertoolsPythonV3-%s-%s:%d",
      local.partition,
      local.region,
      local.powertools_layer_accounts[local.partition],
      replace(var.runtime, ".", ""),
      var.architectures[0],
      var.powertools_layer_version,
    ) : null
  )
  layers = concat(var.powertools_layer_enabled && local.powertools_layer_arn != null ? [local.powertools_layer_arn] : [], var.layers)

  # IAM role names are account-wide (not regional): the region in the default name lets the same
  # function name exist in several regions of one account; a hash keeps long names within 64 characters.
  role_name_full = coalesce(var.role_name, "${var.function_name}-${local.region}")
  role_name = length(local.role_name_full) <= 64 ? local.role_name_full : format(
    "%s-%s-%s",
    substr(var.function_name, 0, 64 - length(local.region) - 10),
    substr(sha256(local.role_name_full), 0, 8),
    local.region,
  )

  log_group_name = "/aws/lambda/${var.function_name}"

  # With a FIFO source, AWS rejects any batching window; 0 means "not set" for a standard queue too.
  batching_window = var.event_source_fifo || var.maximum_batching_window_in_seconds == 0 ? null : var.maximum_batching_window_in_seconds
}

################################################################################
# Logs
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158:Encrypted with the service-owned key by default; pass kms_key_arn to use a customer managed key.
  # checkov:skip=CKV_AWS_338:Retention is the log_retention_in_days variable; the 30-day default bounds cost, the job table and S3 archive keep the durable record.
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

################################################################################
# IAM role (least privilege: exact actions on exact ARNs)
################################################################################

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.role_use_name_prefix ? null : local.role_name
  name_prefix          = var.role_use_name_prefix ? "${substr(local.role_name, 0, 37)}-" : null
  path                 = var.role_path
  description          = "Execution role of the ${var.function_name} Lambda function"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.role_permissions_boundary

  tags = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:*"]
  }

  # X-Ray does not support resource-level permissions: PutTraceSegments and PutTelemetryRecords only
  # accept "*". This is the only "*" resource in the module.
  statement {
    sid       = "WriteXRayTraces"
    effect    = "Allow"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.create_event_source_mapping ? [1] : []

    content {
      sid    = "ConsumeSourceQueue"
      effect = "Allow"
      actions = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
      ]
      resources = [var.event_source_arn]
    }
  }

  dynamic "statement" {
    for_each = var.create_event_source_mapping && var.event_source_kms_key_arn != null ? [1] : []

    content {
      sid       = "DecryptSourceQueue"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [var.event_source_kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn != null ? [1] : []

    content {
      sid       = "DecryptEnvironment"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [var.kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements

    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = var.function_name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

################################################################################
# Function
################################################################################

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116:Failures of SQS-triggered invocations are retried by SQS and end in the queue's DLQ; a function DLQ only applies to asynchronous invocations, which this function does not receive.
  # checkov:skip=CKV_AWS_117:The function calls only AWS public endpoints (SQS, DynamoDB, S3, SNS, Bedrock) over TLS with IAM auth; a VPC would add NAT or endpoint cost without a private resource to reach.
  # checkov:skip=CKV_AWS_272:The package is built from this repository by Terraform (archive_file) in the same apply; code signing needs a signing profile the caller would have to own.
  # checkov:skip=CKV_AWS_115:Concurrency is bounded by the event source mapping's maximum_concurrency; reserved_concurrent_executions is available but unset by default so idle functions do not hold account concurrency.
  # checkov:skip=CKV_AWS_173:Lambda encrypts environment variables at rest with an AWS managed key; set kms_key_arn for a customer managed key. The only secret passed is the producer's JOB_ID_SECRET, which keys job ids and grants no access.
  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this.arn
  handler       = var.handler
  runtime       = var.runtime
  architectures = var.architectures
  memory_size   = var.memory_size
  timeout       = var.timeout
  layers        = local.layers

  filename         = var.filename
  s3_bucket        = var.s3_bucket
  s3_key           = var.s3_key
  source_code_hash = var.source_code_hash

  reserved_concurrent_executions = var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = var.tracing_mode
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = var.application_log_level
    system_log_level      = var.system_log_level
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !var.powertools_layer_enabled || local.powertools_layer_arn != null
      error_message = "AWS publishes no Powertools layer this module knows of in partition ${local.partition}: set powertools_layer_arn (or powertools_layer_enabled = false and ship Powertools in a layer of your own)."
    }
  }

  # The log group must exist before the first invocation (or Lambda would create an unmanaged one) and
  # the role must be able to write to it.
  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}

################################################################################
# SQS event source mapping
################################################################################

resource "aws_lambda_event_source_mapping" "this" {
  count = var.create_event_source_mapping ? 1 : 0

  event_source_arn = var.event_source_arn
  function_name    = aws_lambda_function.this.arn
  enabled          = var.event_source_mapping_enabled

  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = local.batching_window

  # Partial batch responses: only the failed records return to the queue.
  function_response_types = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = var.maximum_concurrency != null ? [var.maximum_concurrency] : []

    content {
      maximum_concurrency = scaling_config.value
    }
  }

  dynamic "filter_criteria" {
    for_each = length(var.filter_criteria) > 0 ? [1] : []

    content {
      dynamic "filter" {
        for_each = var.filter_criteria

        content {
          pattern = filter.value
        }
      }
    }
  }

  dynamic "metrics_config" {
    for_each = var.metrics_enabled ? [1] : []

    content {
      metrics = ["EventCount"]
    }
  }

  tags = var.tags

  # The mapping validates at creation that the role can read the queue.
  depends_on = [aws_iam_role_policy.this]
}
