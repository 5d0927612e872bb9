################################################################################
# Results topic: "job completed/failed" notices (optional)
################################################################################

locals {
  # Booleans decide what is created: an ARN passed in may be unknown until apply (a topic created
  # next to the module), and count cannot wait for apply.
  create_results_topic = var.results_topic_enabled && var.results_topic_create
  results_topic_arn    = local.create_results_topic ? aws_sns_topic.results[0].arn : var.results_topic_arn
}

resource "aws_sns_topic" "results" {
  count = local.create_results_topic ? 1 : 0

  name = "${var.name}-results"
  # Only the consumer publishes here, so the AWS managed key works; the shared CMK when given.
  kms_master_key_id = var.kms_key_arn != null ? var.kms_key_arn : "alias/aws/sns"

  tags = var.tags
}

data "aws_iam_policy_document" "results_topic" {
  count = local.create_results_topic ? 1 : 0

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
    resources = [aws_sns_topic.results[0].arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.results[0].arn]

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

resource "aws_sns_topic_policy" "results" {
  count = local.create_results_topic ? 1 : 0

  arn    = aws_sns_topic.results[0].arn
  policy = data.aws_iam_policy_document.results_topic[0].json
}

resource "aws_sns_topic_subscription" "results" {
  # Keyed by endpoint where it is a literal, by position for ARNs (which may be unknown until apply).
  for_each = local.create_results_topic ? {
    for i, s in var.results_topic_subscriptions :
    "${s.protocol}:${contains(["email", "email-json", "sms", "https"], s.protocol) ? s.endpoint : tostring(i)}" => s
  } : {}

  topic_arn            = aws_sns_topic.results[0].arn
  protocol             = each.value.protocol
  endpoint             = each.value.endpoint
  raw_message_delivery = contains(["https", "sqs", "firehose"], each.value.protocol) ? each.value.raw_message_delivery : null
  filter_policy        = each.value.filter_policy
}

################################################################################
# Alarms and the alerts topic (on-call)
################################################################################

module "alarms" {
  source = "./modules/alarms"

  name        = var.name
  runbook_url = var.alarm_runbook_url

  create_topic            = var.alarm_create_topic
  topic_arn               = var.alarm_topic_arn
  create_topic_kms_key    = var.alarm_topic_create_kms_key
  topic_kms_master_key_id = var.alarm_topic_kms_master_key_id != null ? var.alarm_topic_kms_master_key_id : var.kms_key_arn
  topic_subscriptions     = var.alarm_subscriptions
  actions_enabled         = var.alarm_actions_enabled

  queue_name = module.queue.queue_name
  dlq_name   = module.queue.dlq_name

  queue_depth_threshold                 = var.alarm_queue_depth_threshold
  queue_depth_period                    = var.alarm_queue_depth_period
  queue_depth_evaluation_periods        = var.alarm_queue_depth_evaluation_periods
  oldest_message_age_threshold_seconds  = var.alarm_oldest_message_age_threshold_seconds
  oldest_message_age_evaluation_periods = var.alarm_oldest_message_age_evaluation_periods
  dlq_threshold                         = var.alarm_dlq_threshold
  dlq_period                            = var.alarm_dlq_period

  # Names are passed from locals (known at plan) so the optional alarms' count never waits on apply.
  consumer_function_name       = local.function_names.consumer
  consumer_errors_threshold    = var.alarm_consumer_errors_threshold
  consumer_errors_period       = var.alarm_consumer_errors_period
  consumer_throttles_threshold = var.alarm_consumer_throttles_threshold
  archiver_alarms_enabled      = true
  archiver_function_name       = local.function_names.archiver
  archiver_errors_threshold    = var.alarm_archiver_errors_threshold
  producer_alarms_enabled      = true
  producer_function_name       = local.function_names.producer
  producer_errors_threshold    = var.alarm_producer_errors_threshold

  # Alarms on the functions' own EMF metrics (JobsFailedOnInput).
  application_alarms_enabled = true
  metrics_namespace          = var.powertools_metrics_namespace
  service_name               = local.service_name
  input_failures_threshold   = var.alarm_input_failures_threshold
  input_failures_period      = var.alarm_input_failures_period

  # Batch mode (names from locals, known at plan).
  batch_alarms_enabled                = var.batch_enabled
  batch_queue_name                    = var.batch_enabled ? module.batch_queue[0].queue_name : null
  batch_dlq_name                      = var.batch_enabled ? module.batch_queue[0].dlq_name : null
  batch_submitter_function_name       = local.batch_function_names.submitter
  batch_collector_function_name       = local.batch_function_names.collector
  batch_backlog_age_threshold_seconds = var.alarm_batch_backlog_age_threshold_hours * 3600
  batch_jobs_failed_threshold         = var.alarm_batch_jobs_failed_threshold
  batch_errors_threshold              = var.alarm_batch_errors_threshold

  tags = var.tags
}
