provider "aws" {
  region = var.region
}

module "bedrock_jobs" {
  source = "../../"

  name = "ordered-jobs"
  # model_id: the default, Claude Haiku 4.5 through its global inference profile.

  # FIFO: jobs of one message group run one at a time, in order; different groups run in parallel.
  queue_fifo                        = true
  queue_content_based_deduplication = true
  queue_high_throughput_fifo        = true

  # FIFO limits: at most 10 records per batch and no batching window.
  consumer_batch_size                         = 10
  consumer_maximum_batching_window_in_seconds = 0
  consumer_maximum_concurrency                = 10

  producer_fifo_default_message_group_id = "default"

  eventbridge_rules = [
    {
      name             = "contracts"
      event_pattern    = jsonencode({ source = ["com.example.contracts"], "detail-type" = ["ContractSigned"] })
      task             = "summarize"
      document_path    = "$.detail.text"
      message_group_id = "contracts"
    },
  ]

  alarm_subscriptions = [for email in var.alert_emails : { protocol = "email", endpoint = email }]

  jobs_table_deletion_protection_enabled = false
  bucket_force_destroy                   = true
}
