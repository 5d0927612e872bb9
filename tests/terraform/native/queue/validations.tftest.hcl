# Every validation of modules/queue rejects a bad value. Each run targets the rule named in the
# comment above it (variable[index of its validation block]); test_terraform_native.py re-runs these
# without expect_failures and checks that exactly that rule fails.

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
  name = "jobs"
}

# rule: name[0]
run "rejects_name_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_name_with_a_space"

  variables {
    name = "jobs queue"
  }

  expect_failures = [var.name]
}

# rule: name[0]
run "rejects_name_too_long_for_the_dlq_and_fifo_suffixes" {
  command   = plan
  parallel  = true
  state_key = "rejects_name_too_long_for_the_dlq_and_fifo_suffixes"

  variables {
    name = format("%072d", 0)
  }

  expect_failures = [var.name]
}

# rule: content_based_deduplication[0]
run "rejects_content_based_deduplication_on_a_standard_queue" {
  command   = plan
  parallel  = true
  state_key = "rejects_content_based_deduplication_on_a_standard_queue"

  variables {
    content_based_deduplication = true
  }

  expect_failures = [var.content_based_deduplication]
}

# rule: high_throughput_fifo[0]
run "rejects_high_throughput_on_a_standard_queue" {
  command   = plan
  parallel  = true
  state_key = "rejects_high_throughput_on_a_standard_queue"

  variables {
    high_throughput_fifo = true
  }

  expect_failures = [var.high_throughput_fifo]
}

# rule: message_retention_seconds[0]
run "rejects_retention_below_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_retention_below_60"

  variables {
    message_retention_seconds = 59
  }

  expect_failures = [var.message_retention_seconds]
}

# rule: receive_wait_time_seconds[0]
run "rejects_receive_wait_above_20" {
  command   = plan
  parallel  = true
  state_key = "rejects_receive_wait_above_20"

  variables {
    receive_wait_time_seconds = 21
  }

  expect_failures = [var.receive_wait_time_seconds]
}

# rule: delay_seconds[0]
run "rejects_delay_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_delay_above_900"

  variables {
    delay_seconds = 901
  }

  expect_failures = [var.delay_seconds]
}

# rule: max_message_size[0]
run "rejects_max_message_size_above_1mib" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_message_size_above_1mib"

  variables {
    max_message_size = 1048577
  }

  expect_failures = [var.max_message_size]
}

# rule: max_message_size[0]
run "rejects_max_message_size_below_1kib" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_message_size_below_1kib"

  variables {
    max_message_size = 1023
  }

  expect_failures = [var.max_message_size]
}

# rule: consumer_timeout_seconds[0]
run "rejects_consumer_timeout_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_timeout_above_900"

  variables {
    consumer_timeout_seconds = 901
  }

  expect_failures = [var.consumer_timeout_seconds]
}

# rule: consumer_timeout_seconds[0]
run "rejects_consumer_timeout_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_timeout_0"

  variables {
    consumer_timeout_seconds = 0
  }

  expect_failures = [var.consumer_timeout_seconds]
}

# rule: consumer_maximum_batching_window_in_seconds[0]
run "rejects_batching_window_301" {
  command   = plan
  parallel  = true
  state_key = "rejects_batching_window_301"

  variables {
    consumer_maximum_batching_window_in_seconds = 301
  }

  expect_failures = [var.consumer_maximum_batching_window_in_seconds]
}

# rule: visibility_timeout_seconds[0]
run "rejects_visibility_override_below_the_rule" {
  command   = plan
  parallel  = true
  state_key = "rejects_visibility_override_below_the_rule"

  variables {
    visibility_timeout_seconds = 299
  }

  expect_failures = [var.visibility_timeout_seconds]
}

# rule: visibility_timeout_seconds[0]
run "rejects_visibility_override_below_the_rule_with_a_window" {
  command   = plan
  parallel  = true
  state_key = "rejects_visibility_override_below_the_rule_with_a_window"

  variables {
    consumer_timeout_seconds                    = 100
    consumer_maximum_batching_window_in_seconds = 10
    visibility_timeout_seconds                  = 609
  }

  expect_failures = [var.visibility_timeout_seconds]
}

# rule: visibility_timeout_seconds[0]
run "rejects_visibility_override_above_12_hours" {
  command   = plan
  parallel  = true
  state_key = "rejects_visibility_override_above_12_hours"

  variables {
    visibility_timeout_seconds = 43201
  }

  expect_failures = [var.visibility_timeout_seconds]
}

# rule: kms_data_key_reuse_period_seconds[0]
run "rejects_kms_data_key_reuse_below_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_kms_data_key_reuse_below_60"

  variables {
    kms_data_key_reuse_period_seconds = 59
  }

  expect_failures = [var.kms_data_key_reuse_period_seconds]
}

# rule: max_receive_count[0]
run "rejects_max_receive_count_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_receive_count_0"

  variables {
    max_receive_count = 0
  }

  expect_failures = [var.max_receive_count]
}

# rule: max_receive_count[0]
run "rejects_max_receive_count_1001" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_receive_count_1001"

  variables {
    max_receive_count = 1001
  }

  expect_failures = [var.max_receive_count]
}

# rule: max_receive_count[0]
run "rejects_fractional_max_receive_count" {
  command   = plan
  parallel  = true
  state_key = "rejects_fractional_max_receive_count"

  variables {
    max_receive_count = 2.5
  }

  expect_failures = [var.max_receive_count]
}

# rule: dlq_name[0]
run "rejects_dlq_name_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_dlq_name_with_a_space"

  variables {
    dlq_name = "failed jobs"
  }

  expect_failures = [var.dlq_name]
}

# rule: dlq_message_retention_seconds[0]
run "rejects_dlq_retention_above_14_days" {
  command   = plan
  parallel  = true
  state_key = "rejects_dlq_retention_above_14_days"

  variables {
    dlq_message_retention_seconds = 1209601
  }

  expect_failures = [var.dlq_message_retention_seconds]
}

# rule: dlq_message_retention_seconds[1]
run "rejects_dlq_retention_shorter_than_the_queue" {
  command   = plan
  parallel  = true
  state_key = "rejects_dlq_retention_shorter_than_the_queue"

  variables {
    dlq_message_retention_seconds = 86400
  }

  expect_failures = [var.dlq_message_retention_seconds]
}

# rule: dlq_visibility_timeout_seconds[0]
run "rejects_dlq_visibility_above_12_hours" {
  command   = plan
  parallel  = true
  state_key = "rejects_dlq_visibility_above_12_hours"

  variables {
    dlq_visibility_timeout_seconds = 43201
  }

  expect_failures = [var.dlq_visibility_timeout_seconds]
}

# rule: dlq_receive_wait_time_seconds[0]
run "rejects_dlq_receive_wait_above_20" {
  command   = plan
  parallel  = true
  state_key = "rejects_dlq_receive_wait_above_20"

  variables {
    dlq_receive_wait_time_seconds = 21
  }

  expect_failures = [var.dlq_receive_wait_time_seconds]
}

# rule: allowed_eventbridge_rule_arns[0]
run "rejects_a_non_rule_arn_as_eventbridge_sender" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_non_rule_arn_as_eventbridge_sender"

  variables {
    allowed_eventbridge_rule_arns = ["arn:aws:sns:eu-west-1:123456789012:topic"]
  }

  expect_failures = [var.allowed_eventbridge_rule_arns]
}

# rule: allowed_sns_topic_arns[0]
run "rejects_a_non_topic_arn_as_sns_sender" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_non_topic_arn_as_sns_sender"

  variables {
    allowed_sns_topic_arns = ["arn:aws:sqs:eu-west-1:123456789012:queue"]
  }

  expect_failures = [var.allowed_sns_topic_arns]
}

# rule: allowed_s3_bucket_arns[0]
run "rejects_an_invalid_bucket_arn_as_s3_sender" {
  command   = plan
  parallel  = true
  state_key = "rejects_an_invalid_bucket_arn_as_s3_sender"

  variables {
    allowed_s3_bucket_arns = ["arn:aws:s3:::Bad_Bucket"]
  }

  expect_failures = [var.allowed_s3_bucket_arns]
}

# rule: dlq_allowed_eventbridge_rule_arns[0]
run "rejects_a_non_rule_arn_as_dlq_sender" {
  command   = plan
  parallel  = true
  state_key = "rejects_a_non_rule_arn_as_dlq_sender"

  variables {
    dlq_allowed_eventbridge_rule_arns = ["not-an-arn"]
  }

  expect_failures = [var.dlq_allowed_eventbridge_rule_arns]
}

# rule: dlq_allowed_eventbridge_rule_arns[1]
run "rejects_eventbridge_dead_letters_into_a_fifo_dlq" {
  command   = plan
  parallel  = true
  state_key = "rejects_eventbridge_dead_letters_into_a_fifo_dlq"

  variables {
    fifo_queue                        = true
    dlq_allowed_eventbridge_rule_arns = ["arn:aws:events:eu-west-1:123456789012:rule/jobs-rule"]
  }

  expect_failures = [var.dlq_allowed_eventbridge_rule_arns]
}
