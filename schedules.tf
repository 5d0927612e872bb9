################################################################################
# Scheduled jobs: EventBridge Scheduler -> main queue (or the batch queue, by each schedule's mode)
################################################################################

locals {
  schedules      = { for s in var.schedules : s.name => s }
  schedule_modes = { for name, s in local.schedules : name => coalesce(s.mode, var.default_mode) }

  # The SPEC queue message. Scheduler replaces <aws.scheduler.scheduled-time> (e.g. 2022-03-22T18:59:43Z)
  # in the input when it sends it (Scheduler User Guide, "Adding context attributes in EventBridge
  # Scheduler"). The job id is the schedule's name and that time: every run is a new job, and a retried
  # delivery of the same run carries the same time, so it is the same job. <aws.scheduler.execution-id>
  # would not do: the guide assigns it "for each attempted invocation", so a retry would be a second job.
  # The id and attempt number are kept in the metadata, for tracing a delivery.
  # jsonencode writes < and > as \u003c and \u003e, which Scheduler would not recognise: the keywords are
  # put back as written (any < or > of the document itself stays escaped, valid JSON).
  schedule_keywords = ["scheduled-time", "execution-id", "attempt-number"]
  schedule_messages = {
    for name, s in local.schedules : name => replace(jsonencode(merge(
      {
        job_id       = "${name}-<aws.scheduler.scheduled-time>"
        task         = s.task
        submitted_at = "<aws.scheduler.scheduled-time>"
        metadata = {
          schedule                = name
          schedule_execution_id   = "<aws.scheduler.execution-id>"
          schedule_attempt_number = "<aws.scheduler.attempt-number>"
        }
      },
      s.document != null ? { document = s.document } : { document_uri = s.document_uri },
      s.labels != null ? { labels = s.labels } : {},
    )), "/\\\\u003c(aws\\.scheduler\\.(${join("|", local.schedule_keywords)}))\\\\u003e/", "<$1>")
  }

  # The queues the schedules send to (only those), for the scheduler role.
  schedule_queue_arns = distinct([for name in keys(local.schedules) : local.mode_queue_arns[local.schedule_modes[name]]])
}

data "aws_iam_policy_document" "schedules_assume_role" {
  count = length(local.schedules) > 0 ? 1 : 0

  statement {
    sid     = "SchedulerAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# One role for every job schedule: it may send messages to the queues the schedules target, nothing else.
resource "aws_iam_role" "schedules" {
  count = length(local.schedules) > 0 ? 1 : 0

  name                 = local.regional_role_name["${var.name}-schedules"]
  description          = "Lets EventBridge Scheduler send the ${var.name} scheduled jobs to their queues"
  assume_role_policy   = data.aws_iam_policy_document.schedules_assume_role[0].json
  permissions_boundary = var.lambda_role_permissions_boundary

  tags = var.tags
}

data "aws_iam_policy_document" "schedules" {
  count = length(local.schedules) > 0 ? 1 : 0

  statement {
    sid       = "SendJobs"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = local.schedule_queue_arns
  }

  # The queues' customer managed key, which also encrypts the schedules' input (kms_key_arn below).
  dynamic "statement" {
    for_each = length(local.data_kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "UseQueueKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = local.data_kms_key_arns
    }
  }
}

resource "aws_iam_role_policy" "schedules" {
  count = length(local.schedules) > 0 ? 1 : 0

  name   = "${var.name}-schedules"
  role   = aws_iam_role.schedules[0].id
  policy = data.aws_iam_policy_document.schedules[0].json
}

resource "aws_scheduler_schedule" "jobs" {
  # checkov:skip=CKV_AWS_297:The input (a job message) is encrypted with kms_key_arn when it is set, and with an AWS owned key otherwise, like the queues it is sent to.
  for_each = local.schedules

  name                         = "${var.name}-${each.key}"
  description                  = "bedrock-jobs: ${each.value.task} job on schedule ${each.key}"
  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = each.value.timezone
  state                        = each.value.enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = local.mode_queue_arns[local.schedule_modes[each.key]]
    role_arn = aws_iam_role.schedules[0].arn
    input    = local.schedule_messages[each.key]

    dynamic "sqs_parameters" {
      for_each = var.queue_fifo ? [coalesce(each.value.message_group_id, each.key)] : []

      content {
        message_group_id = sqs_parameters.value
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 86400
      maximum_retry_attempts       = 185
    }
  }

  depends_on = [aws_iam_role_policy.schedules]
}
