# Every validation of modules/alarms rejects a bad value. Each run targets the rule(s) named in the
# comment above it (variable[index of its validation block]); test_terraform_native.py re-runs these
# without expect_failures and checks that exactly those rules fail.

mock_provider "aws" {
  # A real partition name (mocks are random strings): ARNs and the Powertools layer's publisher
  # account are derived from it.
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  name                   = "jobs"
  queue_name             = "jobs"
  dlq_name               = "jobs-dlq"
  consumer_function_name = "jobs-consumer"
}

# rule: name[0]
run "rejects_name_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_name_with_a_space"

  variables {
    name = "on call"
  }

  expect_failures = [var.name]
}

# rule: runbook_url[0]
run "rejects_empty_runbook_url" {
  command   = plan
  parallel  = true
  state_key = "rejects_empty_runbook_url"

  variables {
    runbook_url = ""
  }

  expect_failures = [var.runbook_url]
}

# rule: runbook_url[0]
run "rejects_runbook_url_with_a_fragment" {
  command   = plan
  parallel  = true
  state_key = "rejects_runbook_url_with_a_fragment"

  variables {
    runbook_url = "https://example.com/runbook.md#alarms"
  }

  expect_failures = [var.runbook_url]
}

# rule: runbook_url[0]
run "rejects_runbook_url_over_700_characters" {
  command   = plan
  parallel  = true
  state_key = "rejects_runbook_url_over_700_characters"

  variables {
    runbook_url = "https://example.com/${format("%0700d", 0)}"
  }

  expect_failures = [var.runbook_url]
}

# rule: topic_arn[0]
run "rejects_existing_topic_without_its_arn" {
  command   = plan
  parallel  = true
  state_key = "rejects_existing_topic_without_its_arn"

  variables {
    create_topic = false
  }

  expect_failures = [var.topic_arn]
}

# rule: topic_arn[1]
run "rejects_topic_arn_that_is_not_an_sns_arn" {
  command   = plan
  parallel  = true
  state_key = "rejects_topic_arn_that_is_not_an_sns_arn"

  variables {
    create_topic = false
    topic_arn    = "arn:aws:sqs:eu-west-1:123456789012:oncall"
  }

  expect_failures = [var.topic_arn]
}

# rule: topic_kms_master_key_id[0]
run "rejects_the_aws_managed_sns_key" {
  command   = plan
  parallel  = true
  state_key = "rejects_the_aws_managed_sns_key"

  variables {
    topic_kms_master_key_id = "alias/aws/sns"
  }

  expect_failures = [var.topic_kms_master_key_id]
}

# rule: topic_kms_key_deletion_window_in_days[0]
run "rejects_key_deletion_window_below_7_days" {
  command   = plan
  parallel  = true
  state_key = "rejects_key_deletion_window_below_7_days"

  variables {
    topic_kms_key_deletion_window_in_days = 6
  }

  expect_failures = [var.topic_kms_key_deletion_window_in_days]
}

# rule: topic_kms_key_deletion_window_in_days[0]
run "rejects_key_deletion_window_above_30_days" {
  command   = plan
  parallel  = true
  state_key = "rejects_key_deletion_window_above_30_days"

  variables {
    topic_kms_key_deletion_window_in_days = 31
  }

  expect_failures = [var.topic_kms_key_deletion_window_in_days]
}

# rule: topic_subscriptions[0]
run "rejects_plain_http_subscription_protocol" {
  command   = plan
  parallel  = true
  state_key = "rejects_plain_http_subscription_protocol"

  variables {
    topic_subscriptions = [{ protocol = "http", endpoint = "http://example.com/hook" }]
  }

  expect_failures = [var.topic_subscriptions]
}

# rule: topic_subscriptions[1]
run "rejects_https_subscription_with_an_http_endpoint" {
  command   = plan
  parallel  = true
  state_key = "rejects_https_subscription_with_an_http_endpoint"

  variables {
    topic_subscriptions = [{ protocol = "https", endpoint = "http://example.com/hook" }]
  }

  expect_failures = [var.topic_subscriptions]
}

# rule: queue_depth_threshold[0]
run "rejects_negative_queue_depth_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_queue_depth_threshold"

  variables {
    queue_depth_threshold = -1
  }

  expect_failures = [var.queue_depth_threshold]
}

# rule: queue_depth_period[0]
run "rejects_queue_depth_period_of_90" {
  command   = plan
  parallel  = true
  state_key = "rejects_queue_depth_period_of_90"

  variables {
    queue_depth_period = 90
  }

  expect_failures = [var.queue_depth_period]
}

# rule: queue_depth_evaluation_periods[0]
run "rejects_zero_queue_depth_evaluation_periods" {
  command   = plan
  parallel  = true
  state_key = "rejects_zero_queue_depth_evaluation_periods"

  variables {
    queue_depth_evaluation_periods = 0
  }

  expect_failures = [var.queue_depth_evaluation_periods]
}

# rule: queue_depth_evaluation_periods[0]
run "rejects_queue_depth_evaluation_over_a_day" {
  command   = plan
  parallel  = true
  state_key = "rejects_queue_depth_evaluation_over_a_day"

  variables {
    queue_depth_period             = 3600
    queue_depth_evaluation_periods = 25
  }

  expect_failures = [var.queue_depth_evaluation_periods]
}

# rule: oldest_message_age_threshold_seconds[0]
run "rejects_oldest_message_age_below_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_oldest_message_age_below_60"

  variables {
    oldest_message_age_threshold_seconds = 59
  }

  expect_failures = [var.oldest_message_age_threshold_seconds]
}

# rule: oldest_message_age_period[0]
run "rejects_oldest_message_age_period_of_30" {
  command   = plan
  parallel  = true
  state_key = "rejects_oldest_message_age_period_of_30"

  variables {
    oldest_message_age_period = 30
  }

  expect_failures = [var.oldest_message_age_period]
}

# rule: oldest_message_age_evaluation_periods[0]
run "rejects_zero_oldest_message_age_evaluation_periods" {
  command   = plan
  parallel  = true
  state_key = "rejects_zero_oldest_message_age_evaluation_periods"

  variables {
    oldest_message_age_evaluation_periods = 0
  }

  expect_failures = [var.oldest_message_age_evaluation_periods]
}

# rule: dlq_threshold[0]
run "rejects_negative_dlq_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_dlq_threshold"

  variables {
    dlq_threshold = -1
  }

  expect_failures = [var.dlq_threshold]
}

# rule: dlq_period[0]
run "rejects_dlq_period_of_3600" {
  command   = plan
  parallel  = true
  state_key = "rejects_dlq_period_of_3600"

  variables {
    dlq_period = 3600
  }

  expect_failures = [var.dlq_period]
}

# rule: consumer_errors_threshold[0]
run "rejects_negative_consumer_errors_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_consumer_errors_threshold"

  variables {
    consumer_errors_threshold = -1
  }

  expect_failures = [var.consumer_errors_threshold]
}

# rule: consumer_errors_period[0]
run "rejects_consumer_errors_period_not_a_multiple_of_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_errors_period_not_a_multiple_of_60"

  variables {
    consumer_errors_period = 90
  }

  expect_failures = [var.consumer_errors_period]
}

# rule: consumer_errors_evaluation_periods[0]
run "rejects_zero_consumer_errors_evaluation_periods" {
  command   = plan
  parallel  = true
  state_key = "rejects_zero_consumer_errors_evaluation_periods"

  variables {
    consumer_errors_evaluation_periods = 0
  }

  expect_failures = [var.consumer_errors_evaluation_periods]
}

# rule: consumer_throttles_threshold[0]
run "rejects_negative_consumer_throttles_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_consumer_throttles_threshold"

  variables {
    consumer_throttles_threshold = -1
  }

  expect_failures = [var.consumer_throttles_threshold]
}

# rule: consumer_throttles_period[0]
run "rejects_consumer_throttles_period_below_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_throttles_period_below_60"

  variables {
    consumer_throttles_period = 30
  }

  expect_failures = [var.consumer_throttles_period]
}

# rule: archiver_errors_threshold[0]
run "rejects_negative_archiver_errors_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_archiver_errors_threshold"

  variables {
    archiver_errors_threshold = -1
  }

  expect_failures = [var.archiver_errors_threshold]
}

# rule: archiver_errors_period[0]
run "rejects_archiver_errors_period_not_a_multiple_of_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_errors_period_not_a_multiple_of_60"

  variables {
    archiver_errors_period = 100
  }

  expect_failures = [var.archiver_errors_period]
}

# rule: producer_errors_threshold[0]
run "rejects_negative_producer_errors_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_producer_errors_threshold"

  variables {
    producer_errors_threshold = -1
  }

  expect_failures = [var.producer_errors_threshold]
}

# rule: producer_errors_period[0]
run "rejects_producer_errors_period_not_a_multiple_of_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_producer_errors_period_not_a_multiple_of_60"

  variables {
    producer_errors_period = 61
  }

  expect_failures = [var.producer_errors_period]
}

# rule: create_topic_kms_key[0]
run "rejects_created_topic_without_a_key" {
  command   = plan
  parallel  = true
  state_key = "rejects_created_topic_without_a_key"

  variables {
    create_topic_kms_key = false
  }

  expect_failures = [var.create_topic_kms_key]
}

# rule: archiver_alarms_enabled[0]
run "rejects_archiver_alarms_without_a_function_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_alarms_without_a_function_name"

  variables {
    archiver_alarms_enabled = true
  }

  expect_failures = [var.archiver_alarms_enabled]
}

# rule: producer_alarms_enabled[0]
run "rejects_producer_alarms_without_a_function_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_producer_alarms_without_a_function_name"

  variables {
    producer_alarms_enabled = true
  }

  expect_failures = [var.producer_alarms_enabled]
}

# rule: application_alarms_enabled[0]
run "rejects_application_alarms_without_a_namespace" {
  command   = plan
  parallel  = true
  state_key = "rejects_application_alarms_without_a_namespace"

  variables {
    application_alarms_enabled = true
  }

  expect_failures = [var.application_alarms_enabled]
}

# rule: input_failures_threshold[0]
run "rejects_negative_input_failures_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_input_failures_threshold"

  variables {
    input_failures_threshold = -1
  }

  expect_failures = [var.input_failures_threshold]
}

# rule: input_failures_period[0]
run "rejects_input_failures_period_not_a_multiple_of_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_input_failures_period_not_a_multiple_of_60"

  variables {
    input_failures_period = 90
  }

  expect_failures = [var.input_failures_period]
}
