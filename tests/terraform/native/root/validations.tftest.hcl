# Every validation of the root module rejects a bad value. Each run targets the rule(s) named in
# the comment above it (variable[index of its validation block]); test_terraform_native.py re-runs
# these without expect_failures and checks that exactly those rules fail (the module's own defaults
# satisfy every other rule).

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

# rule: name[0]
run "rejects_uppercase_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_uppercase_name"

  variables {
    name = "Bedrock_Jobs"
  }

  expect_failures = [var.name]
}

# rule: name[0]
run "rejects_name_over_32_characters" {
  command   = plan
  parallel  = true
  state_key = "rejects_name_over_32_characters"

  variables {
    name = format("a%032d", 0)
  }

  expect_failures = [var.name]
}

# rule: kms_key_arn[0]
run "rejects_kms_alias_instead_of_key_arn" {
  command   = plan
  parallel  = true
  state_key = "rejects_kms_alias_instead_of_key_arn"

  variables {
    kms_key_arn = "alias/jobs"
  }

  expect_failures = [var.kms_key_arn]
}

# rule: model_id[0]
run "rejects_model_id_with_spaces" {
  command   = plan
  parallel  = true
  state_key = "rejects_model_id_with_spaces"

  variables {
    model_id = "claude 3 haiku"
  }

  expect_failures = [var.model_id]
}

# rule: tasks[0]
run "rejects_task_name_with_uppercase" {
  command   = plan
  parallel  = true
  state_key = "rejects_task_name_with_uppercase"

  variables {
    tasks = { Translate = { user_template = "Translate: {document}" } }
  }

  expect_failures = [var.tasks]
}

# rule: tasks[1]
run "rejects_new_task_without_user_template" {
  command   = plan
  parallel  = true
  state_key = "rejects_new_task_without_user_template"

  variables {
    tasks = { translate = { system_prompt = "You translate." } }
  }

  expect_failures = [var.tasks]
}

# rule: tasks[2]
run "rejects_user_template_without_document_placeholder" {
  command   = plan
  parallel  = true
  state_key = "rejects_user_template_without_document_placeholder"

  variables {
    tasks = { translate = { user_template = "Translate this." } }
  }

  expect_failures = [var.tasks]
}

# rule: tasks[3]
run "rejects_temperature_above_1" {
  command   = plan
  parallel  = true
  state_key = "rejects_temperature_above_1"

  variables {
    tasks = { summarize = { inference_config = { temperature = 1.5 } } }
  }

  expect_failures = [var.tasks]
}

# rule: tasks[3]
run "rejects_max_tokens_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_tokens_0"

  variables {
    tasks = { summarize = { inference_config = { maxTokens = 0 } } }
  }

  expect_failures = [var.tasks]
}

# rule: tasks[4]
run "rejects_tasks_too_large_for_the_environment" {
  command   = plan
  parallel  = true
  state_key = "rejects_tasks_too_large_for_the_environment"

  variables {
    tasks = { summarize = { system_prompt = format("%02600d", 0) } }
  }

  expect_failures = [var.tasks]
}

# rule: lambda_runtime[0]
run "rejects_invalid_runtime" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_runtime"

  variables {
    lambda_runtime = "python3.9"
  }

  expect_failures = [var.lambda_runtime]
}

# rule: lambda_runtime[0]
run "rejects_non_python_runtime" {
  command   = plan
  parallel  = true
  state_key = "rejects_non_python_runtime"

  variables {
    lambda_runtime = "nodejs20.x"
  }

  expect_failures = [var.lambda_runtime]
}

# rule: lambda_architectures[0]
run "rejects_invalid_architecture" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_architecture"

  variables {
    lambda_architectures = ["mips"]
  }

  expect_failures = [var.lambda_architectures]
}

# rule: lambda_architectures[0]
run "rejects_two_architectures" {
  command   = plan
  parallel  = true
  state_key = "rejects_two_architectures"

  variables {
    lambda_architectures = ["arm64", "x86_64"]
  }

  expect_failures = [var.lambda_architectures]
}

# rule: lambda_log_retention_in_days[0]
run "rejects_invalid_log_retention" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_log_retention"

  variables {
    lambda_log_retention_in_days = 10
  }

  expect_failures = [var.lambda_log_retention_in_days]
}

# rule: lambda_role_permissions_boundary[0]
run "rejects_permissions_boundary_that_is_not_a_policy_arn" {
  command   = plan
  parallel  = true
  state_key = "rejects_permissions_boundary_that_is_not_a_policy_arn"

  variables {
    lambda_role_permissions_boundary = "arn:aws:iam::123456789012:role/boundary"
  }

  expect_failures = [var.lambda_role_permissions_boundary]
}

# rule: powertools_layer_version[0]
run "rejects_powertools_layer_version_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_powertools_layer_version_0"

  variables {
    powertools_layer_version = 0
  }

  expect_failures = [var.powertools_layer_version]
}

# rule: powertools_layer_arn[0]
run "rejects_powertools_layer_arn_without_version" {
  command   = plan
  parallel  = true
  state_key = "rejects_powertools_layer_arn_without_version"

  variables {
    powertools_layer_arn = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64"
  }

  expect_failures = [var.powertools_layer_arn]
}

# rule: powertools_metrics_namespace[0]
run "rejects_aws_reserved_metrics_namespace" {
  command   = plan
  parallel  = true
  state_key = "rejects_aws_reserved_metrics_namespace"

  variables {
    powertools_metrics_namespace = "AWS/Lambda"
  }

  expect_failures = [var.powertools_metrics_namespace]
}

# rule: powertools_log_level[0]
run "rejects_unknown_log_level" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_log_level"

  variables {
    powertools_log_level = "TRACE"
  }

  expect_failures = [var.powertools_log_level]
}

# rule: queue_content_based_deduplication[0]
run "rejects_content_based_deduplication_without_fifo" {
  command   = plan
  parallel  = true
  state_key = "rejects_content_based_deduplication_without_fifo"

  variables {
    queue_content_based_deduplication = true
  }

  expect_failures = [var.queue_content_based_deduplication]
}

# rule: queue_high_throughput_fifo[0]
run "rejects_high_throughput_without_fifo" {
  command   = plan
  parallel  = true
  state_key = "rejects_high_throughput_without_fifo"

  variables {
    queue_high_throughput_fifo = true
  }

  expect_failures = [var.queue_high_throughput_fifo]
}

# rule: queue_max_receive_count[0]
run "rejects_max_receive_count_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_receive_count_0"

  variables {
    queue_max_receive_count = 0
  }

  expect_failures = [var.queue_max_receive_count]
}

# rule: queue_max_receive_count[0]
run "rejects_max_receive_count_1001" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_receive_count_1001"

  variables {
    queue_max_receive_count = 1001
  }

  expect_failures = [var.queue_max_receive_count]
}

# rule: queue_visibility_timeout_seconds[0]
run "rejects_visibility_override_below_the_rule" {
  command   = plan
  parallel  = true
  state_key = "rejects_visibility_override_below_the_rule"

  variables {
    queue_visibility_timeout_seconds = 304
  }

  expect_failures = [var.queue_visibility_timeout_seconds]
}

# rule: queue_visibility_timeout_seconds[0]
run "rejects_visibility_override_below_the_rule_for_timeout_100_window_10" {
  command   = plan
  parallel  = true
  state_key = "rejects_visibility_override_below_the_rule_for_timeout_100_window_10"

  variables {
    consumer_timeout                            = 100
    consumer_maximum_batching_window_in_seconds = 10
    queue_visibility_timeout_seconds            = 609
  }

  expect_failures = [var.queue_visibility_timeout_seconds]
}

# rule: queue_visibility_timeout_seconds[0]
run "rejects_visibility_override_above_12_hours" {
  command   = plan
  parallel  = true
  state_key = "rejects_visibility_override_above_12_hours"

  variables {
    queue_visibility_timeout_seconds = 43201
  }

  expect_failures = [var.queue_visibility_timeout_seconds]
}

# rule: queue_message_retention_seconds[0]
run "rejects_queue_retention_below_60" {
  command   = plan
  parallel  = true
  state_key = "rejects_queue_retention_below_60"

  variables {
    queue_message_retention_seconds = 59
  }

  expect_failures = [var.queue_message_retention_seconds]
}

# rule: queue_receive_wait_time_seconds[0]
run "rejects_receive_wait_above_20" {
  command   = plan
  parallel  = true
  state_key = "rejects_receive_wait_above_20"

  variables {
    queue_receive_wait_time_seconds = 21
  }

  expect_failures = [var.queue_receive_wait_time_seconds]
}

# rule: queue_delay_seconds[0]
run "rejects_delay_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_delay_above_900"

  variables {
    queue_delay_seconds = 901
  }

  expect_failures = [var.queue_delay_seconds]
}

# rule: queue_max_message_size[0]
run "rejects_max_message_size_below_1kib" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_message_size_below_1kib"

  variables {
    queue_max_message_size = 1023
  }

  expect_failures = [var.queue_max_message_size]
}

# rule: queue_kms_data_key_reuse_period_seconds[0]
run "rejects_kms_data_key_reuse_above_a_day" {
  command   = plan
  parallel  = true
  state_key = "rejects_kms_data_key_reuse_above_a_day"

  variables {
    queue_kms_data_key_reuse_period_seconds = 86401
  }

  expect_failures = [var.queue_kms_data_key_reuse_period_seconds]
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

# rule: consumer_timeout[0]
run "rejects_consumer_timeout_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_timeout_above_900"

  variables {
    consumer_timeout = 901
  }

  expect_failures = [var.consumer_timeout]
}

# rule: consumer_timeout[1]
run "rejects_consumer_timeout_shorter_than_a_record_worst_case" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_timeout_shorter_than_a_record_worst_case"

  variables {
    consumer_timeout = 45
  }

  expect_failures = [var.consumer_timeout]
}

# rule: consumer_timeout[1]
run "rejects_bedrock_timeouts_that_do_not_fit_the_consumer_timeout" {
  command   = plan
  parallel  = true
  state_key = "rejects_bedrock_timeouts_that_do_not_fit_the_consumer_timeout"

  variables {
    consumer_bedrock_read_timeout_seconds = 60
  }

  expect_failures = [var.consumer_timeout]
}

# rule: consumer_memory_size[0]
run "rejects_consumer_memory_below_128" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_memory_below_128"

  variables {
    consumer_memory_size = 127
  }

  expect_failures = [var.consumer_memory_size]
}

# rule: consumer_batch_size[0]
run "rejects_consumer_batch_size_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_batch_size_0"

  variables {
    consumer_batch_size = 0
  }

  expect_failures = [var.consumer_batch_size]
}

# rule: consumer_batch_size[0]
run "rejects_consumer_batch_size_above_10000" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_batch_size_above_10000"

  variables {
    consumer_batch_size = 10001
  }

  expect_failures = [var.consumer_batch_size]
}

# rule: consumer_batch_size[1], consumer_batch_size[2]
run "rejects_fifo_batch_of_11" {
  command   = plan
  parallel  = true
  state_key = "rejects_fifo_batch_of_11"

  variables {
    queue_fifo                                  = true
    consumer_maximum_batching_window_in_seconds = 0
    consumer_batch_size                         = 11
  }

  expect_failures = [var.consumer_batch_size]
}

# rule: consumer_batch_size[2]
run "rejects_batch_of_11_on_a_standard_queue_with_window_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_batch_of_11_on_a_standard_queue_with_window_0"

  variables {
    consumer_maximum_batching_window_in_seconds = 0
    consumer_batch_size                         = 11
  }

  expect_failures = [var.consumer_batch_size]
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

# rule: consumer_maximum_batching_window_in_seconds[1]
run "rejects_fifo_with_a_batching_window" {
  command   = plan
  parallel  = true
  state_key = "rejects_fifo_with_a_batching_window"

  variables {
    queue_fifo                                  = true
    consumer_maximum_batching_window_in_seconds = 5
  }

  expect_failures = [var.consumer_maximum_batching_window_in_seconds]
}

# rule: consumer_maximum_concurrency[0]
run "rejects_maximum_concurrency_1" {
  command   = plan
  parallel  = true
  state_key = "rejects_maximum_concurrency_1"

  variables {
    consumer_maximum_concurrency = 1
  }

  expect_failures = [var.consumer_maximum_concurrency]
}

# rule: consumer_maximum_concurrency[0]
run "rejects_maximum_concurrency_1001" {
  command   = plan
  parallel  = true
  state_key = "rejects_maximum_concurrency_1001"

  variables {
    consumer_maximum_concurrency = 1001
  }

  expect_failures = [var.consumer_maximum_concurrency]
}

# rule: consumer_max_concurrent_records[0]
run "rejects_max_concurrent_records_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_concurrent_records_0"

  variables {
    consumer_max_concurrent_records = 0
  }

  expect_failures = [var.consumer_max_concurrent_records]
}

# rule: consumer_reserved_concurrent_executions[0]
run "rejects_reserved_concurrency_below_maximum_concurrency" {
  command   = plan
  parallel  = true
  state_key = "rejects_reserved_concurrency_below_maximum_concurrency"

  variables {
    consumer_maximum_concurrency            = 20
    consumer_reserved_concurrent_executions = 10
  }

  expect_failures = [var.consumer_reserved_concurrent_executions]
}

# rule: consumer_filter_criteria[0]
run "rejects_filter_pattern_that_is_not_json" {
  command   = plan
  parallel  = true
  state_key = "rejects_filter_pattern_that_is_not_json"

  variables {
    consumer_filter_criteria = ["task=summarize"]
  }

  expect_failures = [var.consumer_filter_criteria]
}

# rule: consumer_allowed_model_arns[0]
run "rejects_allowed_model_arn_outside_bedrock" {
  command   = plan
  parallel  = true
  state_key = "rejects_allowed_model_arn_outside_bedrock"

  variables {
    consumer_allowed_model_arns = ["arn:aws:s3:::models"]
  }

  expect_failures = [var.consumer_allowed_model_arns]
}

# rule: consumer_default_task[0]
run "rejects_unknown_default_task" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_default_task"

  variables {
    consumer_default_task = "translate"
  }

  expect_failures = [var.consumer_default_task]
}

# rule: consumer_inline_result_max_bytes[0]
run "rejects_inline_results_over_300000_bytes" {
  command   = plan
  parallel  = true
  state_key = "rejects_inline_results_over_300000_bytes"

  variables {
    consumer_inline_result_max_bytes = 300001
  }

  expect_failures = [var.consumer_inline_result_max_bytes]
}

# rule: consumer_bedrock_connect_timeout_seconds[0]
run "rejects_connect_timeout_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_connect_timeout_0"

  variables {
    consumer_bedrock_connect_timeout_seconds = 0
  }

  expect_failures = [var.consumer_bedrock_connect_timeout_seconds]
}

# rule: consumer_bedrock_read_timeout_seconds[0]
run "rejects_read_timeout_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_read_timeout_0"

  variables {
    consumer_bedrock_read_timeout_seconds = 0
  }

  expect_failures = [var.consumer_bedrock_read_timeout_seconds]
}

# rule: consumer_bedrock_max_attempts[0]
run "rejects_bedrock_max_attempts_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_bedrock_max_attempts_0"

  variables {
    consumer_bedrock_max_attempts = 0
  }

  expect_failures = [var.consumer_bedrock_max_attempts]
}

# rule: consumer_retry_base_delay_seconds[0]
run "rejects_negative_retry_base_delay" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_retry_base_delay"

  variables {
    consumer_retry_base_delay_seconds = -1
  }

  expect_failures = [var.consumer_retry_base_delay_seconds]
}

# rule: consumer_retry_max_delay_seconds[0]
run "rejects_retry_max_delay_above_12_hours" {
  command   = plan
  parallel  = true
  state_key = "rejects_retry_max_delay_above_12_hours"

  variables {
    consumer_retry_max_delay_seconds = 43201
  }

  expect_failures = [var.consumer_retry_max_delay_seconds]
}

# rule: consumer_retry_throttled_base_delay_seconds[0]
run "rejects_throttled_retry_base_delay_above_12_hours" {
  command   = plan
  parallel  = true
  state_key = "rejects_throttled_retry_base_delay_above_12_hours"

  variables {
    consumer_retry_throttled_base_delay_seconds = 43201
  }

  expect_failures = [var.consumer_retry_throttled_base_delay_seconds]
}

# rule: producer_timeout[0]
run "rejects_producer_timeout_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_producer_timeout_0"

  variables {
    producer_timeout = 0
  }

  expect_failures = [var.producer_timeout]
}

# rule: producer_memory_size[0]
run "rejects_producer_memory_above_10240" {
  command   = plan
  parallel  = true
  state_key = "rejects_producer_memory_above_10240"

  variables {
    producer_memory_size = 10241
  }

  expect_failures = [var.producer_memory_size]
}

# rule: producer_reserved_concurrent_executions[0]
run "rejects_negative_producer_reserved_concurrency" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_producer_reserved_concurrency"

  variables {
    producer_reserved_concurrent_executions = -1
  }

  expect_failures = [var.producer_reserved_concurrent_executions]
}

# rule: producer_max_document_bytes[0]
run "rejects_max_document_bytes_above_6mb" {
  command   = plan
  parallel  = true
  state_key = "rejects_max_document_bytes_above_6mb"

  variables {
    producer_max_document_bytes = 6000001
  }

  expect_failures = [var.producer_max_document_bytes]
}

# rule: producer_inline_document_max_bytes[0]
run "rejects_inline_documents_over_240000_bytes" {
  command   = plan
  parallel  = true
  state_key = "rejects_inline_documents_over_240000_bytes"

  variables {
    producer_inline_document_max_bytes = 240001
  }

  expect_failures = [var.producer_inline_document_max_bytes]
}

# rule: producer_fifo_default_message_group_id[0]
run "rejects_message_group_id_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_message_group_id_with_a_space"

  variables {
    producer_fifo_default_message_group_id = "my group"
  }

  expect_failures = [var.producer_fifo_default_message_group_id]
}

# rule: producer_url_authorization_type[0]
run "rejects_unknown_url_authorization_type" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_url_authorization_type"

  variables {
    producer_url_authorization_type = "COGNITO"
  }

  expect_failures = [var.producer_url_authorization_type]
}

# rule: producer_url_authorization_type[1]
run "rejects_public_url_without_the_opt_in" {
  command   = plan
  parallel  = true
  state_key = "rejects_public_url_without_the_opt_in"

  variables {
    producer_url_authorization_type = "NONE"
  }

  expect_failures = [var.producer_url_authorization_type]
}

# rule: producer_url_allowed_principals[0]
run "rejects_invalid_allowed_principal" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_allowed_principal"

  variables {
    producer_url_allowed_principals = ["arn:aws:sts::123456789012:assumed-role/x/y"]
  }

  expect_failures = [var.producer_url_allowed_principals]
}

# rule: archiver_timeout[0]
run "rejects_archiver_timeout_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_timeout_above_900"

  variables {
    archiver_timeout = 901
  }

  expect_failures = [var.archiver_timeout]
}

# rule: archiver_memory_size[0]
run "rejects_archiver_memory_below_128" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_memory_below_128"

  variables {
    archiver_memory_size = 64
  }

  expect_failures = [var.archiver_memory_size]
}

# rule: archiver_batch_size[0]
run "rejects_archiver_batch_size_11" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_batch_size_11"

  variables {
    archiver_batch_size = 11
  }

  expect_failures = [var.archiver_batch_size]
}

# rule: archiver_maximum_concurrency[0]
run "rejects_archiver_maximum_concurrency_1" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_maximum_concurrency_1"

  variables {
    archiver_maximum_concurrency = 1
  }

  expect_failures = [var.archiver_maximum_concurrency]
}

# rule: jobs_table_name[0]
run "rejects_jobs_table_name_too_short" {
  command   = plan
  parallel  = true
  state_key = "rejects_jobs_table_name_too_short"

  variables {
    jobs_table_name = "ab"
  }

  expect_failures = [var.jobs_table_name]
}

# rule: jobs_table_ttl_days[0]
run "rejects_negative_ttl_days" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_ttl_days"

  variables {
    jobs_table_ttl_days = -1
  }

  expect_failures = [var.jobs_table_ttl_days]
}

# rule: bucket_noncurrent_version_expiration_days[0]
run "rejects_noncurrent_version_expiration_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_noncurrent_version_expiration_0"

  variables {
    bucket_noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.bucket_noncurrent_version_expiration_days]
}

# rule: payload_bucket_name[0]
run "rejects_invalid_payload_bucket_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_payload_bucket_name"

  variables {
    payload_bucket_name = "Payload_Bucket"
  }

  expect_failures = [var.payload_bucket_name]
}

# rule: payload_documents_expiration_days[0]
run "rejects_documents_expiration_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_documents_expiration_0"

  variables {
    payload_documents_expiration_days = 0
  }

  expect_failures = [var.payload_documents_expiration_days]
}

# rule: payload_results_expiration_days[0]
run "rejects_results_expiration_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_results_expiration_0"

  variables {
    payload_results_expiration_days = 0
  }

  expect_failures = [var.payload_results_expiration_days]
}

# rule: archive_bucket_name[0]
run "rejects_invalid_archive_bucket_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_archive_bucket_name"

  variables {
    archive_bucket_name = "Archive_Bucket"
  }

  expect_failures = [var.archive_bucket_name]
}

# rule: archive_failed_transition_days[0]
run "rejects_ia_transition_before_30_days" {
  command   = plan
  parallel  = true
  state_key = "rejects_ia_transition_before_30_days"

  variables {
    archive_failed_transition_days = 29
  }

  expect_failures = [var.archive_failed_transition_days]
}

# rule: archive_failed_transition_storage_class[0]
run "rejects_unknown_archive_storage_class" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_archive_storage_class"

  variables {
    archive_failed_transition_storage_class = "REDUCED_REDUNDANCY"
  }

  expect_failures = [var.archive_failed_transition_storage_class]
}

# rule: archive_failed_expiration_days[0]
run "rejects_archive_expiration_before_transition" {
  command   = plan
  parallel  = true
  state_key = "rejects_archive_expiration_before_transition"

  variables {
    archive_failed_expiration_days = 20
  }

  expect_failures = [var.archive_failed_expiration_days]
}

# rule: results_topic_arn[0]
run "rejects_results_topic_arn_that_is_not_sns" {
  command   = plan
  parallel  = true
  state_key = "rejects_results_topic_arn_that_is_not_sns"

  variables {
    results_topic_arn = "arn:aws:sqs:us-east-1:123456789012:results"
  }

  expect_failures = [var.results_topic_arn]
}

# rule: results_topic_kms_key_arn[0]
run "rejects_results_topic_key_alias" {
  command   = plan
  parallel  = true
  state_key = "rejects_results_topic_key_alias"

  variables {
    results_topic_kms_key_arn = "alias/results"
  }

  expect_failures = [var.results_topic_kms_key_arn]
}

# rule: results_topic_subscriptions[0]
run "rejects_plain_http_results_subscription" {
  command   = plan
  parallel  = true
  state_key = "rejects_plain_http_results_subscription"

  variables {
    results_topic_subscriptions = [{ protocol = "http", endpoint = "http://example.com/results" }]
  }

  expect_failures = [var.results_topic_subscriptions]
}

# rule: alarm_topic_arn[0]
run "rejects_existing_alarm_topic_without_its_arn" {
  command   = plan
  parallel  = true
  state_key = "rejects_existing_alarm_topic_without_its_arn"

  variables {
    alarm_create_topic = false
  }

  expect_failures = [var.alarm_topic_arn]
}

# rule: alarm_topic_arn[1]
run "rejects_alarm_topic_arn_that_is_not_sns" {
  command   = plan
  parallel  = true
  state_key = "rejects_alarm_topic_arn_that_is_not_sns"

  variables {
    alarm_create_topic = false
    alarm_topic_arn    = "oncall"
  }

  expect_failures = [var.alarm_topic_arn]
}

# rule: alarm_topic_kms_key_arn[0]
run "rejects_alarm_topic_key_alias" {
  command   = plan
  parallel  = true
  state_key = "rejects_alarm_topic_key_alias"

  variables {
    alarm_topic_kms_key_arn = "alias/oncall"
  }

  expect_failures = [var.alarm_topic_kms_key_arn]
}

# rule: alarm_topic_kms_master_key_id[0]
run "rejects_aws_managed_sns_key_for_alarms" {
  command   = plan
  parallel  = true
  state_key = "rejects_aws_managed_sns_key_for_alarms"

  variables {
    alarm_topic_kms_master_key_id = "alias/aws/sns"
  }

  expect_failures = [var.alarm_topic_kms_master_key_id]
}

# rule: alarm_subscriptions[0]
run "rejects_bad_alarm_subscription_protocol" {
  command   = plan
  parallel  = true
  state_key = "rejects_bad_alarm_subscription_protocol"

  variables {
    alarm_subscriptions = [{ protocol = "http", endpoint = "http://example.com/page" }]
  }

  expect_failures = [var.alarm_subscriptions]
}

# rule: eventbridge_bus_name[0]
run "rejects_invalid_event_bus_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_event_bus_name"

  variables {
    eventbridge_bus_name = "my bus"
  }

  expect_failures = [var.eventbridge_bus_name]
}

# rule: eventbridge_rules[0]
run "rejects_eventbridge_rule_name_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_eventbridge_rule_name_with_a_space"

  variables {
    eventbridge_rules = [{ name = "support tickets", event_pattern = "{\"source\":[\"com.example\"]}", task = "classify" }]
  }

  expect_failures = [var.eventbridge_rules]
}

# rule: eventbridge_rules[1]
run "rejects_duplicate_eventbridge_rule_names" {
  command   = plan
  parallel  = true
  state_key = "rejects_duplicate_eventbridge_rule_names"

  variables {
    eventbridge_rules = [{ name = "tickets", event_pattern = "{\"source\":[\"a\"]}", task = "classify" }, { name = "tickets", event_pattern = "{\"source\":[\"b\"]}", task = "summarize" }]
  }

  expect_failures = [var.eventbridge_rules]
}

# rule: eventbridge_rules[2]
run "rejects_eventbridge_rule_with_invalid_json_pattern" {
  command   = plan
  parallel  = true
  state_key = "rejects_eventbridge_rule_with_invalid_json_pattern"

  variables {
    eventbridge_rules = [{ name = "tickets", event_pattern = "{source: com.example}", task = "classify" }]
  }

  expect_failures = [var.eventbridge_rules]
}

# rule: eventbridge_rules[3]
run "rejects_eventbridge_rule_with_a_complex_document_path" {
  command   = plan
  parallel  = true
  state_key = "rejects_eventbridge_rule_with_a_complex_document_path"

  variables {
    eventbridge_rules = [{ name = "tickets", event_pattern = "{\"source\":[\"com.example\"]}", task = "classify", document_path = "$.detail[0].body" }]
  }

  expect_failures = [var.eventbridge_rules]
}

# rule: eventbridge_rules[4]
run "rejects_unknown_task_in_an_eventbridge_rule" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_task_in_an_eventbridge_rule"

  variables {
    eventbridge_rules = [{ name = "tickets", event_pattern = "{\"source\":[\"com.example\"]}", task = "translate" }]
  }

  expect_failures = [var.eventbridge_rules]
}

# rule: s3_trigger_create_bucket[0]
run "rejects_existing_upload_bucket_without_its_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_existing_upload_bucket_without_its_name"

  variables {
    s3_trigger_enabled       = true
    s3_trigger_create_bucket = false
  }

  expect_failures = [var.s3_trigger_create_bucket]
}

# rule: s3_trigger_bucket_name[0]
run "rejects_invalid_upload_bucket_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_invalid_upload_bucket_name"

  variables {
    s3_trigger_bucket_name = "Uploads"
  }

  expect_failures = [var.s3_trigger_bucket_name]
}

# rule: s3_trigger_prefix[0]
run "rejects_wildcard_in_upload_prefix" {
  command   = plan
  parallel  = true
  state_key = "rejects_wildcard_in_upload_prefix"

  variables {
    s3_trigger_prefix = "incoming/*"
  }

  expect_failures = [var.s3_trigger_prefix]
}

# rule: s3_trigger_suffix[0]
run "rejects_wildcard_in_upload_suffix" {
  command   = plan
  parallel  = true
  state_key = "rejects_wildcard_in_upload_suffix"

  variables {
    s3_trigger_suffix = "*.txt"
  }

  expect_failures = [var.s3_trigger_suffix]
}

# rule: s3_trigger_task[0]
run "rejects_unknown_upload_task" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_upload_task"

  variables {
    s3_trigger_task = "translate"
  }

  expect_failures = [var.s3_trigger_task]
}

# rule: s3_trigger_expiration_days[0]
run "rejects_upload_expiration_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_upload_expiration_0"

  variables {
    s3_trigger_expiration_days = 0
  }

  expect_failures = [var.s3_trigger_expiration_days]
}

# rule: payload_bucket_name[0]
run "rejects_payload_bucket_name_with_consecutive_dots" {
  command   = plan
  parallel  = true
  state_key = "rejects_payload_bucket_name_with_consecutive_dots"

  variables {
    payload_bucket_name = "payload..bucket"
  }

  expect_failures = [var.payload_bucket_name]
}

# rule: archive_bucket_name[0]
run "rejects_archive_bucket_name_with_reserved_suffix" {
  command   = plan
  parallel  = true
  state_key = "rejects_archive_bucket_name_with_reserved_suffix"

  variables {
    archive_bucket_name = "archive-bucket-s3alias"
  }

  expect_failures = [var.archive_bucket_name]
}

# rule: results_topic_arn[1]
run "rejects_results_topic_not_created_and_not_given" {
  command   = plan
  parallel  = true
  state_key = "rejects_results_topic_not_created_and_not_given"

  variables {
    results_topic_create = false
  }

  expect_failures = [var.results_topic_arn]
}

# rule: eventbridge_rules[5]
run "rejects_rule_name_that_makes_the_eventbridge_name_too_long" {
  command   = plan
  parallel  = true
  state_key = "rejects_rule_name_that_makes_the_eventbridge_name_too_long"

  variables {
    name = "a234567890123456789012345678901b"
    eventbridge_rules = [
      {
        name          = "r2345678901234567890123456789012"
        event_pattern = "{\"source\": [\"x\"]}"
        task          = "summarize"
      },
    ]
  }

  expect_failures = [var.eventbridge_rules]
}

# rule: dashboard_name[0]
run "rejects_dashboard_name_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_dashboard_name_with_a_space"

  variables {
    dashboard_name = "jobs dashboard"
  }

  expect_failures = [var.dashboard_name]
}

# rule: producer_role_name[0]
run "rejects_producer_role_name_over_64_characters" {
  command   = plan
  parallel  = true
  state_key = "rejects_producer_role_name_over_64_characters"

  variables {
    producer_role_name = format("%065d", 0)
  }

  expect_failures = [var.producer_role_name]
}

# rule: consumer_role_name[0]
run "rejects_consumer_role_name_with_a_slash" {
  command   = plan
  parallel  = true
  state_key = "rejects_consumer_role_name_with_a_slash"

  variables {
    consumer_role_name = "team/consumer"
  }

  expect_failures = [var.consumer_role_name]
}

# rule: archiver_role_name[0]
run "rejects_archiver_role_name_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_role_name_with_a_space"

  variables {
    archiver_role_name = "dlq archiver"
  }

  expect_failures = [var.archiver_role_name]
}

# rule: consumer_marketplace_product_ids[0]
run "rejects_marketplace_product_id_that_is_a_model_id" {
  command   = plan
  parallel  = true
  state_key = "rejects_marketplace_product_id_that_is_a_model_id"

  variables {
    consumer_marketplace_product_ids = ["anthropic.claude-haiku-4-5-20251001-v1:0"]
  }

  expect_failures = [var.consumer_marketplace_product_ids]
}

# rule: allowed_model_ids[0]
run "rejects_allowed_model_id_with_a_comma" {
  command   = plan
  parallel  = true
  state_key = "rejects_allowed_model_id_with_a_comma"

  variables {
    allowed_model_ids = ["amazon.nova-lite-v1:0,amazon.nova-micro-v1:0"]
  }

  expect_failures = [var.allowed_model_ids]
}

# rule: archiver_max_requeues[0]
run "rejects_archiver_max_requeues_11" {
  command   = plan
  parallel  = true
  state_key = "rejects_archiver_max_requeues_11"

  variables {
    archiver_max_requeues = 11
  }

  expect_failures = [var.archiver_max_requeues]
}

# rule: archiver_max_requeues[0]
run "rejects_fractional_archiver_max_requeues" {
  command   = plan
  parallel  = true
  state_key = "rejects_fractional_archiver_max_requeues"

  variables {
    archiver_max_requeues = 1.5
  }

  expect_failures = [var.archiver_max_requeues]
}

# rule: alarm_input_failures_threshold[0]
run "rejects_negative_alarm_input_failures_threshold" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_alarm_input_failures_threshold"

  variables {
    alarm_input_failures_threshold = -1
  }

  expect_failures = [var.alarm_input_failures_threshold]
}

# rule: alarm_input_failures_period[0]
run "rejects_alarm_input_failures_period_30" {
  command   = plan
  parallel  = true
  state_key = "rejects_alarm_input_failures_period_30"

  variables {
    alarm_input_failures_period = 30
  }

  expect_failures = [var.alarm_input_failures_period]
}
