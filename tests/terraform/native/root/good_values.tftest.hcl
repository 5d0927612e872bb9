# Boundary and alternative values the root module's validations must accept.

mock_provider "aws" {
  # A real partition name (mocks are random strings): ARNs and the Powertools layer's publisher
  # account are derived from it.
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}
mock_provider "archive" {}

run "accepts_maximum_concurrency_2_and_the_smallest_values" {
  command   = plan
  parallel  = true
  state_key = "accepts_maximum_concurrency_2_and_the_smallest_values"

  variables {
    name                            = "j"
    consumer_maximum_concurrency    = 2
    consumer_batch_size             = 1
    queue_max_receive_count         = 1
    lambda_log_retention_in_days    = 0
    consumer_max_concurrent_records = 1
    archiver_maximum_concurrency    = 2
    archiver_batch_size             = 1
    jobs_table_ttl_days             = 0
    queue_receive_wait_time_seconds = 0
  }

  assert {
    condition     = output.queue_name == "j"
    error_message = "A one-character name is valid."
  }
}

run "accepts_maximum_concurrency_1000_and_large_batches" {
  command   = plan
  parallel  = true
  state_key = "accepts_maximum_concurrency_1000_and_large_batches"

  variables {
    consumer_maximum_concurrency                = 1000
    consumer_batch_size                         = 10000
    consumer_maximum_batching_window_in_seconds = 1
    queue_max_receive_count                     = 1000
    lambda_log_retention_in_days                = 3653
  }

  assert {
    condition     = output.queue_visibility_timeout_seconds == 301
    error_message = "6 x 50 + 1 = 301."
  }
}

run "accepts_a_300_second_batching_window" {
  command   = plan
  parallel  = true
  state_key = "accepts_a_300_second_batching_window"

  variables {
    consumer_maximum_batching_window_in_seconds = 300
  }

  assert {
    condition     = output.queue_visibility_timeout_seconds == 600
    error_message = "6 x 50 + 300 = 600."
  }
}

run "accepts_fifo_with_batch_10_and_no_window" {
  command   = plan
  parallel  = true
  state_key = "accepts_fifo_with_batch_10_and_no_window"

  variables {
    queue_fifo                                  = true
    queue_content_based_deduplication           = true
    queue_high_throughput_fifo                  = true
    consumer_batch_size                         = 10
    consumer_maximum_batching_window_in_seconds = 0
  }

  assert {
    condition     = output.queue_name == "bedrock-jobs.fifo"
    error_message = "FIFO with batch 10 and no window is valid."
  }
}

run "accepts_a_visibility_override_equal_to_the_rule" {
  command   = plan
  parallel  = true
  state_key = "accepts_a_visibility_override_equal_to_the_rule"

  variables {
    queue_visibility_timeout_seconds = 305
  }

  assert {
    condition     = output.queue_visibility_timeout_seconds == 305
    error_message = "An override equal to 6 x timeout + window is valid."
  }
}

run "accepts_a_consumer_timeout_equal_to_the_record_budget" {
  command   = plan
  parallel  = true
  state_key = "accepts_a_consumer_timeout_equal_to_the_record_budget"

  # 3 attempts x (2 + 30) + (2 + 4) backoff + 3 = 105.
  variables {
    consumer_timeout                      = 105
    consumer_bedrock_max_attempts         = 3
    consumer_bedrock_read_timeout_seconds = 30
  }

  assert {
    condition     = output.queue_visibility_timeout_seconds == 635
    error_message = "6 x 105 + 5 = 635."
  }
}

run "accepts_the_other_runtime_and_architecture" {
  command   = plan
  parallel  = true
  state_key = "accepts_the_other_runtime_and_architecture"

  variables {
    lambda_runtime                   = "python3.13"
    lambda_architectures             = ["x86_64"]
    powertools_log_level             = "DEBUG"
    lambda_role_permissions_boundary = "arn:aws:iam::123456789012:policy/boundary"
  }

  assert {
    condition     = length(output.functions_layers) > 0
    error_message = "Runtime python3.13 on x86_64 is valid."
  }
}

run "accepts_tasks_eventbridge_rules_and_an_s3_trigger" {
  command   = plan
  parallel  = true
  state_key = "accepts_tasks_eventbridge_rules_and_an_s3_trigger"

  variables {
    tasks = {
      summarize = { inference_config = { maxTokens = 256, temperature = 0, topP = 1 } }
      translate = { user_template = "Translate into French:\n<document>\n{document}\n</document>", model_id = "eu.amazon.nova-lite-v1:0" }
    }
    consumer_default_task = "translate"
    eventbridge_bus_name  = "arn:aws:events:us-east-1:123456789012:event-bus/jobs"
    eventbridge_rules = [
      { name = "tickets", event_pattern = "{\"source\":[\"com.example.support\"]}", task = "classify", labels = ["bug", "billing"] },
      { name = "memos.v2", event_pattern = "{\"source\":[\"com.example.memos\"]}", task = "translate", document_path = "$.detail.text_body", enabled = false },
    ]
    s3_trigger_enabled         = true
    s3_trigger_task            = "translate"
    s3_trigger_prefix          = ""
    s3_trigger_suffix          = ".txt"
    s3_trigger_expiration_days = 1
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 2 && aws_cloudwatch_event_rule.this["memos.v2"].state == "DISABLED"
    error_message = "Both rules are created; enabled = false disables one."
  }
}

run "accepts_existing_topics_keys_and_subscriptions" {
  command   = plan
  parallel  = true
  state_key = "accepts_existing_topics_keys_and_subscriptions"

  variables {
    kms_key_arn                 = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    alarm_create_topic          = false
    alarm_topic_arn             = "arn:aws:sns:us-east-1:123456789012:oncall"
    alarm_topic_kms_key_arn     = "arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000"
    results_topic_create        = false
    results_topic_arn           = "arn:aws:sns:us-east-1:123456789012:results"
    results_topic_kms_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000"
    consumer_allowed_model_arns = ["arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"]
  }

  assert {
    condition     = length(aws_sns_topic.results) == 0
    error_message = "An existing results topic is used, not created."
  }
}

run "accepts_https_alarm_subscriptions_and_a_public_url_with_the_opt_in" {
  command   = plan
  parallel  = true
  state_key = "accepts_https_alarm_subscriptions_and_a_public_url_with_the_opt_in"

  variables {
    alarm_subscriptions                = [{ protocol = "https", endpoint = "https://events.pagerduty.com/integration/abc/enqueue" }, { protocol = "email", endpoint = "oncall@example.com" }]
    results_topic_subscriptions        = [{ protocol = "sqs", endpoint = "arn:aws:sqs:us-east-1:123456789012:downstream", raw_message_delivery = true }]
    producer_url_authorization_type    = "NONE"
    producer_url_allow_unauthenticated = true
    producer_url_allowed_principals    = ["123456789012", "arn:aws:iam::210987654321:role/submitter"]
    alarm_topic_kms_master_key_id      = "arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000"
  }

  assert {
    condition     = aws_lambda_function_url.producer[0].authorization_type == "NONE"
    error_message = "NONE is accepted with producer_url_allow_unauthenticated."
  }
}

run "accepts_archive_settings" {
  command   = plan
  parallel  = true
  state_key = "accepts_archive_settings"

  variables {
    archive_bucket_enabled                  = true
    archive_bucket_name                     = "my.archive-bucket"
    payload_bucket_name                     = "my-payload-bucket"
    archive_failed_transition_days          = 0
    archive_failed_transition_storage_class = "GLACIER"
    archive_failed_expiration_days          = 1
    jobs_table_name                         = "jobs.v2"
  }

  assert {
    condition     = length(module.archive_bucket) == 1
    error_message = "archive_bucket_enabled creates the separate archive bucket."
  }
}
