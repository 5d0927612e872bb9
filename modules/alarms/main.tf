data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id

  # Every count below depends on booleans only: inputs such as key or topic ARNs may be unknown until
  # apply when the caller creates them in the same configuration.
  create_kms_key = var.create_topic && var.create_topic_kms_key
  topic_arn      = var.create_topic ? aws_sns_topic.this[0].arn : var.topic_arn

  actions = [local.topic_arn]

  runbook = {
    queue_depth        = "${var.runbook_url}#runbook-queue-depth"
    oldest_message_age = "${var.runbook_url}#runbook-oldest-message-age"
    dlq_not_empty      = "${var.runbook_url}#runbook-dlq-not-empty"
    consumer_errors    = "${var.runbook_url}#runbook-consumer-errors"
    consumer_throttles = "${var.runbook_url}#runbook-consumer-throttles"
    archiver_errors    = "${var.runbook_url}#runbook-archiver-errors"
    producer_errors    = "${var.runbook_url}#runbook-producer-errors"
    input_failures     = "${var.runbook_url}#runbook-input-failures"
    systemic_errors    = "${var.runbook_url}#runbook-systemic-errors"
    batch_jobs_failed  = "${var.runbook_url}#runbook-batch-jobs-failed"
    batch_jobs_expired = "${var.runbook_url}#runbook-batch-jobs-expired"
    batch_backlog_age  = "${var.runbook_url}#runbook-batch-backlog-age"
    batch_dlq          = "${var.runbook_url}#runbook-batch-dlq-not-empty"
    batch_submitter    = "${var.runbook_url}#runbook-batch-submitter-errors"
    batch_collector    = "${var.runbook_url}#runbook-batch-collector-errors"
  }

  batch_count = var.batch_alarms_enabled ? 1 : 0
}

################################################################################
# Topic (optional) and its KMS key
################################################################################

# CloudWatch alarms can only publish to an encrypted topic when the key policy lets
# cloudwatch.amazonaws.com use the key, which the AWS managed key alias/aws/sns does not allow.
data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_111:This is a key policy: resource "*" means this key only, and write access is constrained by principal and conditions.
  # checkov:skip=CKV_AWS_356:This is a key policy: resource "*" means this key only.
  # checkov:skip=CKV_AWS_109:This is a key policy: the account root statement is what lets IAM policies govern the key (AWS's default key policy).
  count = local.create_kms_key ? 1 : 0

  # Key administration and use stay with the account, i.e. with IAM policies (this is what lets the
  # DLQ archiver's role publish through it).
  statement {
    sid       = "AccountAdministersKey"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsUseKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_kms_key ? 1 : 0

  description             = "Encrypts the ${var.name} alerts SNS topic"
  enable_key_rotation     = true
  deletion_window_in_days = var.topic_kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms[0].json

  tags = var.tags
}

resource "aws_kms_alias" "this" {
  count = local.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-alerts"
  target_key_id = aws_kms_key.this[0].key_id
}

resource "aws_sns_topic" "this" {
  count = var.create_topic ? 1 : 0

  name              = coalesce(var.topic_name, "${var.name}-alerts")
  kms_master_key_id = local.create_kms_key ? aws_kms_key.this[0].arn : var.topic_kms_master_key_id

  tags = var.tags
}

data "aws_iam_policy_document" "topic" {
  count = var.create_topic ? 1 : 0

  statement {
    sid    = "AccountOwnerManagesTopic"
    effect = "Allow"
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:Subscribe",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
    ]
    resources = [aws_sns_topic.this[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this[0].arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  count = var.create_topic ? 1 : 0

  arn    = aws_sns_topic.this[0].arn
  policy = data.aws_iam_policy_document.topic[0].json
}

resource "aws_sns_topic_subscription" "this" {
  # Keyed by endpoint where it is a literal (e-mail, phone, URL) so reordering the list changes
  # nothing; by position for ARNs, which may not be known until apply.
  for_each = var.create_topic ? {
    for i, s in var.topic_subscriptions :
    "${s.protocol}:${contains(["email", "email-json", "sms", "https"], s.protocol) ? s.endpoint : tostring(i)}" => s
  } : {}

  topic_arn            = aws_sns_topic.this[0].arn
  protocol             = each.value.protocol
  endpoint             = each.value.endpoint
  raw_message_delivery = contains(["https", "sqs", "firehose"], each.value.protocol) ? each.value.raw_message_delivery : null
}

################################################################################
# Main queue
################################################################################

resource "aws_cloudwatch_metric_alarm" "queue_depth" {
  alarm_name        = "${var.name}-queue-depth"
  alarm_description = "More than ${var.queue_depth_threshold} jobs waiting on ${var.queue_name} for ${var.queue_depth_evaluation_periods} x ${var.queue_depth_period} s: the consumer is not keeping up. Runbook: ${local.runbook.queue_depth}"

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions  = { QueueName = var.queue_name }
  statistic   = "Maximum"

  period              = var.queue_depth_period
  evaluation_periods  = var.queue_depth_evaluation_periods
  threshold           = var.queue_depth_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "oldest_message_age" {
  alarm_name        = "${var.name}-oldest-message-age"
  alarm_description = "The oldest job on ${var.queue_name} has waited more than ${var.oldest_message_age_threshold_seconds} s: processing is stuck or far behind. Runbook: ${local.runbook.oldest_message_age}"

  namespace   = "AWS/SQS"
  metric_name = "ApproximateAgeOfOldestMessage"
  dimensions  = { QueueName = var.queue_name }
  statistic   = "Maximum"

  period              = var.oldest_message_age_period
  evaluation_periods  = var.oldest_message_age_evaluation_periods
  threshold           = var.oldest_message_age_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

################################################################################
# Dead-letter queue
################################################################################

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  alarm_name        = "${var.name}-dlq-not-empty"
  alarm_description = "${var.dlq_name} holds more than ${var.dlq_threshold} message(s): jobs failed after every retry and are not being archived. Runbook: ${local.runbook.dlq_not_empty}"

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions  = { QueueName = var.dlq_name }
  statistic   = "Maximum"

  period              = var.dlq_period
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  threshold           = var.dlq_threshold
  comparison_operator = "GreaterThanThreshold"
  # An idle queue publishes no datapoints; missing data is not a failure.
  treat_missing_data = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

################################################################################
# Functions
################################################################################

resource "aws_cloudwatch_metric_alarm" "consumer_errors" {
  alarm_name        = "${var.name}-consumer-errors"
  alarm_description = "${var.consumer_function_name} failed more than ${var.consumer_errors_threshold} invocation(s) in ${var.consumer_errors_period} s (crashes, timeouts, configuration errors). Runbook: ${local.runbook.consumer_errors}"

  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions  = { FunctionName = var.consumer_function_name }
  statistic   = "Sum"

  period              = var.consumer_errors_period
  evaluation_periods  = var.consumer_errors_evaluation_periods
  threshold           = var.consumer_errors_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "consumer_throttles" {
  alarm_name        = "${var.name}-consumer-throttles"
  alarm_description = "${var.consumer_function_name} was throttled more than ${var.consumer_throttles_threshold} time(s) in ${var.consumer_throttles_period} s: account concurrency is exhausted or reserved concurrency is below the mapping's maximum concurrency. Runbook: ${local.runbook.consumer_throttles}"

  namespace   = "AWS/Lambda"
  metric_name = "Throttles"
  dimensions  = { FunctionName = var.consumer_function_name }
  statistic   = "Sum"

  period              = var.consumer_throttles_period
  evaluation_periods  = 1
  threshold           = var.consumer_throttles_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "archiver_errors" {
  count = var.archiver_alarms_enabled ? 1 : 0

  alarm_name        = "${var.name}-archiver-errors"
  alarm_description = "${coalesce(var.archiver_function_name, "-")} failed more than ${var.archiver_errors_threshold} invocation(s) in ${var.archiver_errors_period} s: dead-lettered jobs are not being archived and stay in the DLQ. Runbook: ${local.runbook.archiver_errors}"

  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions  = { FunctionName = var.archiver_function_name }
  statistic   = "Sum"

  period              = var.archiver_errors_period
  evaluation_periods  = 1
  threshold           = var.archiver_errors_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "producer_errors" {
  count = var.producer_alarms_enabled ? 1 : 0

  alarm_name        = "${var.name}-producer-errors"
  alarm_description = "${coalesce(var.producer_function_name, "-")} failed more than ${var.producer_errors_threshold} invocation(s) in ${var.producer_errors_period} s: job submissions are being rejected with 5xx. Runbook: ${local.runbook.producer_errors}"

  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions  = { FunctionName = var.producer_function_name }
  statistic   = "Sum"

  period              = var.producer_errors_period
  evaluation_periods  = 1
  threshold           = var.producer_errors_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

################################################################################
# Application metrics (EMF, published by the functions)
################################################################################

resource "aws_cloudwatch_metric_alarm" "input_failures" {
  count = var.application_alarms_enabled ? 1 : 0

  alarm_name        = "${var.name}-input-failures"
  alarm_description = "More than ${var.input_failures_threshold} job(s) failed because of their own input (model validation, guardrail, too large, unknown task) in ${var.input_failures_period} s. Each was failed, archived and announced on the results topic without a page of its own. Runbook: ${local.runbook.input_failures}"

  namespace   = coalesce(var.metrics_namespace, "-")
  metric_name = "JobsFailedOnInput"
  # The functions publish this series with the service dimension alone (reason_kind is a second,
  # separate series for dashboards), so one alarm covers every task and model.
  dimensions = { service = coalesce(var.service_name, "-") }
  statistic  = "Sum"

  period              = var.input_failures_period
  evaluation_periods  = 1
  threshold           = var.input_failures_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "systemic_errors" {
  count = var.application_alarms_enabled ? 1 : 0

  alarm_name        = "${var.name}-systemic-errors"
  alarm_description = "The consumer is held back by a deployment problem (access denied, a missing model, table, bucket or key, bad credentials). Jobs are kept pending and retried every 15 minutes; nothing completes until the deployment is fixed. Runbook: ${local.runbook.systemic_errors}"

  namespace   = coalesce(var.metrics_namespace, "-")
  metric_name = "SystemicErrors"
  # Published with the service dimension alone: one alarm, one page, however many jobs are affected.
  dimensions = { service = coalesce(var.service_name, "-") }
  statistic  = "Sum"

  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

################################################################################
# Batch mode
################################################################################

resource "aws_cloudwatch_metric_alarm" "batch_jobs_failed" {
  count = local.batch_count

  alarm_name        = "${var.name}-batch-jobs-failed"
  alarm_description = "More than ${var.batch_jobs_failed_threshold} Bedrock batch inference job(s) ended Failed in an hour; their jobs were sent back to the realtime queue. Runbook: ${local.runbook.batch_jobs_failed}"

  namespace   = coalesce(var.metrics_namespace, "-")
  metric_name = "BatchJobsFailed"
  # Published by the batch collector with the service dimension alone.
  dimensions = { service = coalesce(var.service_name, "-") }
  statistic  = "Sum"

  period              = 3600
  evaluation_periods  = 1
  threshold           = var.batch_jobs_failed_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "batch_jobs_expired" {
  count = local.batch_count

  alarm_name        = "${var.name}-batch-jobs-expired"
  alarm_description = "More than ${var.batch_jobs_failed_threshold} Bedrock batch inference job(s) expired (not finished within their timeout) in an hour; their unprocessed records were sent back to the realtime queue. Runbook: ${local.runbook.batch_jobs_expired}"

  namespace   = coalesce(var.metrics_namespace, "-")
  metric_name = "BatchJobsExpired"
  dimensions  = { service = coalesce(var.service_name, "-") }
  statistic   = "Sum"

  period              = 3600
  evaluation_periods  = 1
  threshold           = var.batch_jobs_failed_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "batch_backlog_age" {
  count = local.batch_count

  alarm_name        = "${var.name}-batch-backlog-age"
  alarm_description = "The oldest job on ${coalesce(var.batch_queue_name, "-")} has waited more than ${var.batch_backlog_age_threshold_seconds} s: the batch submitter is not running, failing, or not falling jobs back to realtime. Runbook: ${local.runbook.batch_backlog_age}"

  namespace   = "AWS/SQS"
  metric_name = "ApproximateAgeOfOldestMessage"
  dimensions  = { QueueName = var.batch_queue_name }
  statistic   = "Maximum"

  period              = 300
  evaluation_periods  = 2
  threshold           = var.batch_backlog_age_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "batch_dlq_not_empty" {
  count = local.batch_count

  alarm_name        = "${var.name}-batch-dlq-not-empty"
  alarm_description = "${coalesce(var.batch_dlq_name, "-")} holds messages the batch submitter failed on 1000 times; nothing drains it automatically. Runbook: ${local.runbook.batch_dlq}"

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions  = { QueueName = var.batch_dlq_name }
  statistic   = "Maximum"

  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "batch_submitter_errors" {
  count = local.batch_count

  alarm_name        = "${var.name}-batch-submitter-errors"
  alarm_description = "${coalesce(var.batch_submitter_function_name, "-")} failed more than ${var.batch_errors_threshold} invocation(s) in 300 s: waiting batch jobs are not being submitted. Runbook: ${local.runbook.batch_submitter}"

  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions  = { FunctionName = var.batch_submitter_function_name }
  statistic   = "Sum"

  period              = 300
  evaluation_periods  = 1
  threshold           = var.batch_errors_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "batch_collector_errors" {
  count = local.batch_count

  alarm_name        = "${var.name}-batch-collector-errors"
  alarm_description = "${coalesce(var.batch_collector_function_name, "-")} failed more than ${var.batch_errors_threshold} invocation(s) in 300 s: finished batch jobs are not being collected. Runbook: ${local.runbook.batch_collector}"

  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions  = { FunctionName = var.batch_collector_function_name }
  statistic   = "Sum"

  period              = 300
  evaluation_periods  = 1
  threshold           = var.batch_errors_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"

  actions_enabled = var.actions_enabled
  alarm_actions   = local.actions
  ok_actions      = local.actions

  tags = var.tags
}
