data "aws_caller_identity" "current" {}

locals {
  suffix   = var.fifo_queue ? ".fifo" : ""
  name     = "${var.name}${local.suffix}"
  dlq_name = "${coalesce(var.dlq_name, "${var.name}-dlq")}${local.suffix}"

  # AWS's recommendation for Lambda consumers: 6 x function timeout + maximum batching window, so a
  # batch that is throttled and retried inside the poller is not redelivered while still in flight.
  derived_visibility_timeout_seconds = 6 * var.consumer_timeout_seconds + var.consumer_maximum_batching_window_in_seconds
  visibility_timeout_seconds         = coalesce(var.visibility_timeout_seconds, local.derived_visibility_timeout_seconds)

  kms_enabled = var.kms_master_key_id != null
}

################################################################################
# Dead-letter queue
################################################################################

resource "aws_sqs_queue" "dlq" {
  name       = local.dlq_name
  fifo_queue = var.fifo_queue

  content_based_deduplication = var.fifo_queue ? var.content_based_deduplication : null
  deduplication_scope         = var.fifo_queue && var.high_throughput_fifo ? "messageGroup" : null
  fifo_throughput_limit       = var.fifo_queue && var.high_throughput_fifo ? "perMessageGroupId" : null

  message_retention_seconds  = var.dlq_message_retention_seconds
  visibility_timeout_seconds = var.dlq_visibility_timeout_seconds
  receive_wait_time_seconds  = var.dlq_receive_wait_time_seconds
  max_message_size           = var.max_message_size

  sqs_managed_sse_enabled           = local.kms_enabled ? null : true
  kms_master_key_id                 = var.kms_master_key_id
  kms_data_key_reuse_period_seconds = local.kms_enabled ? var.kms_data_key_reuse_period_seconds : null

  tags = var.tags
}

################################################################################
# Main queue
################################################################################

resource "aws_sqs_queue" "this" {
  name       = local.name
  fifo_queue = var.fifo_queue

  content_based_deduplication = var.fifo_queue ? var.content_based_deduplication : null
  deduplication_scope         = var.fifo_queue && var.high_throughput_fifo ? "messageGroup" : null
  fifo_throughput_limit       = var.fifo_queue && var.high_throughput_fifo ? "perMessageGroupId" : null

  message_retention_seconds  = var.message_retention_seconds
  visibility_timeout_seconds = local.visibility_timeout_seconds
  receive_wait_time_seconds  = var.receive_wait_time_seconds
  delay_seconds              = var.delay_seconds
  max_message_size           = var.max_message_size

  sqs_managed_sse_enabled           = local.kms_enabled ? null : true
  kms_master_key_id                 = var.kms_master_key_id
  kms_data_key_reuse_period_seconds = local.kms_enabled ? var.kms_data_key_reuse_period_seconds : null

  tags = var.tags
}

# The redrive policies are separate resources (not arguments of aws_sqs_queue) so that neither queue
# has to know the other's ARN at creation time and a policy change never replaces a queue.
resource "aws_sqs_queue_redrive_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only the main queue may use this DLQ; it is also the queue a DLQ redrive (start-message-move-task)
# moves messages back to.
resource "aws_sqs_queue_redrive_allow_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this.arn]
  })
}

################################################################################
# Queue policies
################################################################################

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = length(var.allowed_eventbridge_rule_arns) > 0 ? [1] : []

    content {
      sid       = "AllowEventBridgeRules"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.this.arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = var.allowed_eventbridge_rule_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.allowed_sns_topic_arns) > 0 ? [1] : []

    content {
      sid       = "AllowSnsTopics"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.this.arn]

      principals {
        type        = "Service"
        identifiers = ["sns.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = var.allowed_sns_topic_arns
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.allowed_s3_bucket_arns) > 0 ? [1] : []

    content {
      sid       = "AllowS3BucketNotifications"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.this.arn]

      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = var.allowed_s3_bucket_arns
      }

      # Bucket ARNs carry no account id: pin the bucket owner too (confused-deputy protection).
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [data.aws_caller_identity.current.account_id]
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.this.arn]

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

resource "aws_sqs_queue_policy" "this" {
  queue_url = aws_sqs_queue.this.id
  policy    = data.aws_iam_policy_document.this.json
}

data "aws_iam_policy_document" "dlq" {
  dynamic "statement" {
    for_each = length(var.dlq_allowed_eventbridge_rule_arns) > 0 ? [1] : []

    content {
      sid       = "AllowEventBridgeDeadLetters"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.dlq.arn]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = var.dlq_allowed_eventbridge_rule_arns
      }
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dlq.arn]

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

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}
