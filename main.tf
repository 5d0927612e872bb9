# bedrock-jobs: producer -> SQS -> consumer (Bedrock) -> DynamoDB/S3/SNS, with DLQ archiving and alarms.
#
# Where things are:
#   main.tf       shared locals, the queue pair
#   storage.tf    jobs table, payload / archive / upload buckets
#   packaging.tf  the Lambda zip (built by Terraform from ./functions)
#   functions.tf  producer (+ Function URL), consumer, DLQ archiver and their IAM
#   events.tf     EventBridge rules and the S3-upload trigger
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

  # EventBridge delivers to a FIFO queue only when it has content-based deduplication (the body
  # carries the event id, so duplicates of one event collapse).
  eventbridge_targets_enabled       = length(var.eventbridge_rules) > 0 || var.s3_trigger_enabled
  queue_content_based_deduplication = var.queue_fifo && (var.queue_content_based_deduplication || local.eventbridge_targets_enabled)

  # Rules created by this module; allowed to send to the main queue and (standard queues only) to
  # dead-letter undeliverable events into the DLQ, where the archiver stores them and alerts.
  module_rule_arns = concat(
    [for rule in aws_cloudwatch_event_rule.this : rule.arn],
    [for rule in aws_cloudwatch_event_rule.s3_trigger : rule.arn],
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

  allowed_eventbridge_rule_arns     = concat(local.module_rule_arns, var.queue_allowed_eventbridge_rule_arns)
  allowed_sns_topic_arns            = var.queue_allowed_sns_topic_arns
  allowed_s3_bucket_arns            = var.queue_allowed_s3_bucket_arns
  dlq_allowed_eventbridge_rule_arns = var.queue_fifo ? [] : local.module_rule_arns

  tags = var.tags
}
