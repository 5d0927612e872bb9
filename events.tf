################################################################################
# EventBridge rules -> main queue (or the batch queue, by each rule's mode)
################################################################################

locals {
  eventbridge_rules = { for rule in var.eventbridge_rules : rule.name => rule }

  # The transformer writes the SPEC queue message. Placeholders outside quotes are replaced by the
  # JSON value at the path (a string keeps its quotes), so the document may be any JSON string.
  eventbridge_templates = {
    for name, rule in local.eventbridge_rules : name => format(
      "{\"job_id\": <id>, \"task\": %s, \"document\": <document>, \"correlation_id\": <id>, \"submitted_at\": <time>%s}",
      jsonencode(rule.task),
      rule.labels != null ? ", \"labels\": ${jsonencode(rule.labels)}" : "",
    )
  }
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.eventbridge_rules

  name           = "${var.name}-${each.key}"
  description    = coalesce(each.value.description, "bedrock-jobs: ${each.value.task} jobs from matching events")
  event_bus_name = var.eventbridge_bus_name
  event_pattern  = each.value.event_pattern
  state          = each.value.enabled ? "ENABLED" : "DISABLED"

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.eventbridge_rules

  rule           = aws_cloudwatch_event_rule.this[each.key].name
  event_bus_name = var.eventbridge_bus_name
  target_id      = local.eventbridge_rule_modes[each.key] == "batch" ? "batch-queue" : "main-queue"
  arn            = local.mode_queue_arns[local.eventbridge_rule_modes[each.key]]

  input_transformer {
    input_paths = {
      id       = "$.id"
      time     = "$.time"
      document = each.value.document_path
    }
    input_template = local.eventbridge_templates[each.key]
  }

  dynamic "sqs_target" {
    for_each = var.queue_fifo ? [coalesce(each.value.message_group_id, each.key)] : []

    content {
      message_group_id = sqs_target.value
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  # Events EventBridge cannot deliver (queue policy or KMS problems) go to the DLQ, where the archiver
  # stores them and alerts. EventBridge cannot dead-letter to a FIFO queue.
  dynamic "dead_letter_config" {
    for_each = var.queue_fifo ? [] : [module.queue.dlq_arn]

    content {
      arn = dead_letter_config.value
    }
  }
}

################################################################################
# S3 upload trigger: Object Created (via EventBridge) -> main queue
################################################################################

locals {
  s3_trigger_bucket_name = coalesce(var.s3_trigger_bucket_name, local.bucket_names.inbox)
  s3_trigger_bucket_arn  = "arn:${local.partition}:s3:::${local.s3_trigger_bucket_name}"

  # Folder placeholders ("incoming/") are empty objects, not documents: require size > 0.
  # Each branch renders JSON, so the branches share one type.
  s3_trigger_object_filter = (
    var.s3_trigger_prefix != "" && var.s3_trigger_suffix != null ? jsonencode({
      size = [{ numeric = [">", 0] }]
      key  = [{ wildcard = "${var.s3_trigger_prefix}*${coalesce(var.s3_trigger_suffix, "-")}" }]
    }) :
    var.s3_trigger_prefix != "" ? jsonencode({
      size = [{ numeric = [">", 0] }]
      key  = [{ prefix = var.s3_trigger_prefix }]
    }) :
    var.s3_trigger_suffix != null ? jsonencode({
      size = [{ numeric = [">", 0] }]
      key  = [{ suffix = var.s3_trigger_suffix }]
    }) :
    jsonencode({
      size = [{ numeric = [">", 0] }]
    })
  )

  s3_trigger_event_pattern = format(
    "{\"source\":[\"aws.s3\"],\"detail-type\":[\"Object Created\"],\"detail\":{\"bucket\":{\"name\":%s},\"object\":%s}}",
    jsonencode([local.s3_trigger_bucket_name]),
    local.s3_trigger_object_filter,
  )

  # The S3 target sends an "Object Created" event in EventBridge's own shape, carrying only what the
  # consumer reads, plus the task: the consumer turns raw S3 events and these into jobs by one code
  # path (messages.py), so a key decodes the same way whichever way it arrives. Every placeholder
  # stands outside quotes, where EventBridge inserts the value as a JSON string, escaped: keys with
  # quotes, backslashes or control characters keep the message valid JSON.
  s3_trigger_template = format(
    "{\"version\": \"0\", \"id\": <id>, \"detail-type\": \"Object Created\", \"source\": \"aws.s3\", \"time\": <time>, \"detail\": {\"bucket\": {\"name\": <bucket>}, \"object\": {\"key\": <key>}, \"task\": %s}}",
    jsonencode(var.s3_trigger_task),
  )
}

module "s3_trigger_bucket" {
  source = "./modules/bucket"
  count  = var.s3_trigger_enabled && var.s3_trigger_create_bucket ? 1 : 0

  bucket        = local.s3_trigger_bucket_name
  force_destroy = var.bucket_force_destroy
  kms_key_arn   = var.kms_key_arn

  noncurrent_version_expiration_days = var.bucket_noncurrent_version_expiration_days
  eventbridge_notifications_enabled  = true

  lifecycle_rules = var.s3_trigger_expiration_days != null && var.s3_trigger_prefix != "" ? [
    {
      id                       = "uploads"
      prefix                   = var.s3_trigger_prefix
      transition_days          = null
      transition_storage_class = "STANDARD_IA"
      expiration_days          = var.s3_trigger_expiration_days
    },
  ] : []

  tags = var.tags
}

# An existing bucket: turn on EventBridge delivery unless the caller manages notifications.
resource "aws_s3_bucket_notification" "s3_trigger" {
  count = var.s3_trigger_enabled && !var.s3_trigger_create_bucket && var.s3_trigger_manage_bucket_notification ? 1 : 0

  bucket      = local.s3_trigger_bucket_name
  eventbridge = true
}

resource "aws_cloudwatch_event_rule" "s3_trigger" {
  count = var.s3_trigger_enabled ? 1 : 0

  name        = "${var.name}-s3-upload"
  description = "bedrock-jobs: ${var.s3_trigger_task} jobs from objects created in ${local.s3_trigger_bucket_name}/${var.s3_trigger_prefix}"
  # S3 sends its events to the default bus only.
  event_bus_name = "default"
  event_pattern  = local.s3_trigger_event_pattern

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "s3_trigger" {
  count = var.s3_trigger_enabled ? 1 : 0

  rule           = aws_cloudwatch_event_rule.s3_trigger[0].name
  event_bus_name = "default"
  target_id      = local.s3_trigger_mode == "batch" ? "batch-queue" : "main-queue"
  arn            = local.mode_queue_arns[local.s3_trigger_mode]

  input_transformer {
    input_paths = {
      id     = "$.id"
      time   = "$.time"
      bucket = "$.detail.bucket.name"
      key    = "$.detail.object.key"
    }
    input_template = local.s3_trigger_template
  }

  dynamic "sqs_target" {
    for_each = var.queue_fifo ? [var.s3_trigger_message_group_id] : []

    content {
      message_group_id = sqs_target.value
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dynamic "dead_letter_config" {
    for_each = var.queue_fifo ? [] : [module.queue.dlq_arn]

    content {
      arn = dead_letter_config.value
    }
  }
}
