# bedrock-jobs: producer -> SQS -> consumer (Bedrock) -> DynamoDB/S3/SNS, with DLQ archiving and alarms.
#
# Where things are:
#   main.tf       shared locals, the queue pair
#   storage.tf    jobs table, payload / archive / upload buckets
#   packaging.tf  the Lambda zip (built by Terraform from ./functions)
#   functions.tf  producer (+ Function URL), consumer, DLQ archiver and their IAM
#   events.tf     EventBridge rules and the S3-upload trigger
#   batch.tf      batch mode: batch queue, submitter, collector, Bedrock service role, their schedules
#   schedules.tf  scheduled jobs (EventBridge Scheduler -> main or batch queue)
#   alarms.tf     results topic, alarms and the alerts topic
#   dashboard.tf  CloudWatch dashboard

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id

  service_name = coalesce(var.powertools_service_name, var.name)

  function_names = {
    producer = "${var.name}-producer"
    consumer = "${var.name}-consumer"
    archiver = "${var.name}-dlq-archiver"
  }

  # EventBridge and EventBridge Scheduler deliver to a FIFO queue only when it has content-based
  # deduplication (the body carries the event or execution id, so duplicates of one event collapse;
  # Scheduler API reference, SqsParameters).
  eventbridge_targets_enabled             = length(var.eventbridge_rules) > 0 || var.s3_trigger_enabled || length(var.schedules) > 0
  queue_content_based_deduplication       = var.queue_fifo && (var.queue_content_based_deduplication || local.eventbridge_targets_enabled)
  batch_queue_content_based_deduplication = local.queue_content_based_deduplication

  # Mode of each entry point (realtime: main queue, batch: batch queue).
  eventbridge_rule_modes = { for rule in var.eventbridge_rules : rule.name => coalesce(rule.mode, var.default_mode) }
  s3_trigger_mode        = coalesce(var.s3_trigger_mode, var.default_mode)

  # Rules created by this module, by the queue they send to. Every one may dead-letter undeliverable
  # events into the main DLQ (standard queues only), where the archiver stores them and alerts.
  realtime_rule_arns = concat(
    [for name, rule in aws_cloudwatch_event_rule.this : rule.arn if local.eventbridge_rule_modes[name] == "realtime"],
    [for rule in aws_cloudwatch_event_rule.s3_trigger : rule.arn if local.s3_trigger_mode == "realtime"],
  )
  batch_rule_arns = concat(
    [for name, rule in aws_cloudwatch_event_rule.this : rule.arn if local.eventbridge_rule_modes[name] == "batch"],
    [for rule in aws_cloudwatch_event_rule.s3_trigger : rule.arn if local.s3_trigger_mode == "batch"],
  )
  module_rule_arns = concat(local.realtime_rule_arns, local.batch_rule_arns)

  # The queue (ARN and URL) each mode sends to.
  mode_queue_arns = merge(
    { realtime = module.queue.queue_arn },
    var.batch_enabled ? { batch = module.batch_queue[0].queue_arn } : {},
  )
}

################################################################################
# Queue + dead-letter queue
################################################################################

module "queue" {
  source = "./modules/queue"

  name = var.name

  fifo_queue                  = var.queue_fifo
  content_based_deduplication = local.queue_content_based_deduplication
  high_throughput_fifo        = var.queue_high_throughput_fifo

  message_retention_seconds = var.queue_message_retention_seconds
  receive_wait_time_seconds = var.queue_receive_wait_time_seconds
  delay_seconds             = var.queue_delay_seconds
  max_message_size          = var.queue_max_message_size

  consumer_timeout_seconds                    = var.consumer_timeout
  consumer_maximum_batching_window_in_seconds = var.consumer_maximum_batching_window_in_seconds
  visibility_timeout_seconds                  = var.queue_visibility_timeout_seconds
  max_receive_count                           = var.queue_max_receive_count

  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.queue_kms_data_key_reuse_period_seconds

  dlq_message_retention_seconds  = var.dlq_message_retention_seconds
  dlq_visibility_timeout_seconds = 6 * var.archiver_timeout
  dlq_receive_wait_time_seconds  = var.queue_receive_wait_time_seconds

  allowed_eventbridge_rule_arns     = concat(local.realtime_rule_arns, var.queue_allowed_eventbridge_rule_arns)
  allowed_sns_topic_arns            = var.queue_allowed_sns_topic_arns
  allowed_s3_bucket_arns            = var.queue_allowed_s3_bucket_arns
  dlq_allowed_eventbridge_rule_arns = var.queue_fifo ? [] : local.module_rule_arns

  tags = var.tags
}
