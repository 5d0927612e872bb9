# Every validation of modules/sqs-function rejects a bad value. Each run targets the rule(s) named
# in the comment above it (variable[index of its validation block]); test_terraform_native.py re-runs
# these without expect_failures and checks that exactly those rules fail.

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
  function_name    = "jobs-consumer"
  handler          = "bedrock_jobs.consumer.handler"
  filename         = "functions.zip"
  source_code_hash = "c29tZS1oYXNo"
  event_source_arn = "arn:aws:sqs:eu-west-1:123456789012:jobs"
}

# rule: function_name[0]
run "rejects_function_name_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_function_name_with_a_space"

  variables {
    function_name = "jobs consumer"
  }

  expect_failures = [var.function_name]
}

# rule: function_name[0]
run "rejects_function_name_over_64_characters" {
  command   = plan
  parallel  = true
  state_key = "rejects_function_name_over_64_characters"

  variables {
    function_name = format("%065d", 0)
  }

  expect_failures = [var.function_name]
}

# rule: description[0]
run "rejects_description_over_256_characters" {
  command   = plan
  parallel  = true
  state_key = "rejects_description_over_256_characters"

  variables {
    description = format("%0257d", 0)
  }

  expect_failures = [var.description]
}

# rule: handler[0]
run "rejects_handler_without_a_module" {
  command   = plan
  parallel  = true
  state_key = "rejects_handler_without_a_module"

  variables {
    handler = "handler"
  }

  expect_failures = [var.handler]
}

# rule: runtime[0]
run "rejects_unsupported_runtime" {
  command   = plan
  parallel  = true
  state_key = "rejects_unsupported_runtime"

  variables {
    runtime = "python3.9"
  }

  expect_failures = [var.runtime]
}

# rule: architectures[0]
run "rejects_two_architectures" {
  command   = plan
  parallel  = true
  state_key = "rejects_two_architectures"

  variables {
    architectures = ["arm64", "x86_64"]
  }

  expect_failures = [var.architectures]
}

# rule: architectures[0]
run "rejects_unknown_architecture" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_architecture"

  variables {
    architectures = ["mips"]
  }

  expect_failures = [var.architectures]
}

# rule: memory_size[0]
run "rejects_memory_below_128" {
  command   = plan
  parallel  = true
  state_key = "rejects_memory_below_128"

  variables {
    memory_size = 127
  }

  expect_failures = [var.memory_size]
}

# rule: memory_size[0]
run "rejects_memory_above_10240" {
  command   = plan
  parallel  = true
  state_key = "rejects_memory_above_10240"

  variables {
    memory_size = 10241
  }

  expect_failures = [var.memory_size]
}

# rule: timeout[0]
run "rejects_timeout_above_900" {
  command   = plan
  parallel  = true
  state_key = "rejects_timeout_above_900"

  variables {
    timeout = 901
  }

  expect_failures = [var.timeout]
}

# rule: timeout[0]
run "rejects_timeout_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_timeout_0"

  variables {
    timeout = 0
  }

  expect_failures = [var.timeout]
}

# rule: environment_variables[0]
run "rejects_environment_over_4kb" {
  command   = plan
  parallel  = true
  state_key = "rejects_environment_over_4kb"

  variables {
    environment_variables = { BIG = format("%04100d", 0) }
  }

  expect_failures = [var.environment_variables]
}

# rule: reserved_concurrent_executions[0]
run "rejects_negative_reserved_concurrency" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_reserved_concurrency"

  variables {
    reserved_concurrent_executions = -1
  }

  expect_failures = [var.reserved_concurrent_executions]
}

# rule: kms_key_arn[0]
run "rejects_kms_alias_instead_of_arn" {
  command   = plan
  parallel  = true
  state_key = "rejects_kms_alias_instead_of_arn"

  variables {
    kms_key_arn = "alias/jobs"
  }

  expect_failures = [var.kms_key_arn]
}

# rule: tracing_mode[0]
run "rejects_unknown_tracing_mode" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_tracing_mode"

  variables {
    tracing_mode = "Disabled"
  }

  expect_failures = [var.tracing_mode]
}

# rule: application_log_level[0]
run "rejects_unknown_application_log_level" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_application_log_level"

  variables {
    application_log_level = "VERBOSE"
  }

  expect_failures = [var.application_log_level]
}

# rule: system_log_level[0]
run "rejects_unknown_system_log_level" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_system_log_level"

  variables {
    system_log_level = "ERROR"
  }

  expect_failures = [var.system_log_level]
}

# rule: log_retention_in_days[0]
run "rejects_log_retention_cloudwatch_does_not_offer" {
  command   = plan
  parallel  = true
  state_key = "rejects_log_retention_cloudwatch_does_not_offer"

  variables {
    log_retention_in_days = 2
  }

  expect_failures = [var.log_retention_in_days]
}

# rule: layers[0]
run "rejects_more_than_4_extra_layers" {
  command   = plan
  parallel  = true
  state_key = "rejects_more_than_4_extra_layers"

  variables {
    layers = [for i in range(5) : "arn:aws:lambda:eu-west-1:123456789012:layer:extra:${i + 1}"]
  }

  expect_failures = [var.layers]
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

# rule: powertools_layer_version[0]
run "rejects_fractional_powertools_layer_version" {
  command   = plan
  parallel  = true
  state_key = "rejects_fractional_powertools_layer_version"

  variables {
    powertools_layer_version = 2.5
  }

  expect_failures = [var.powertools_layer_version]
}

# rule: powertools_layer_arn[0]
run "rejects_layer_arn_without_a_version" {
  command   = plan
  parallel  = true
  state_key = "rejects_layer_arn_without_a_version"

  variables {
    powertools_layer_arn = "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64"
  }

  expect_failures = [var.powertools_layer_arn]
}

# rule: policy_statements[0]
run "rejects_statement_with_a_non_alphanumeric_sid" {
  command   = plan
  parallel  = true
  state_key = "rejects_statement_with_a_non_alphanumeric_sid"

  variables {
    policy_statements = [{ sid = "read-table", actions = ["dynamodb:GetItem"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/jobs"] }]
  }

  expect_failures = [var.policy_statements]
}

# rule: policy_statements[0]
run "rejects_statement_without_resources" {
  command   = plan
  parallel  = true
  state_key = "rejects_statement_without_resources"

  variables {
    policy_statements = [{ sid = "ReadTable", actions = ["dynamodb:GetItem"], resources = [] }]
  }

  expect_failures = [var.policy_statements]
}

# rule: policy_statements[1]
run "rejects_statement_with_action_wildcard" {
  command   = plan
  parallel  = true
  state_key = "rejects_statement_with_action_wildcard"

  variables {
    policy_statements = [{ sid = "Everything", actions = ["*"], resources = ["arn:aws:dynamodb:eu-west-1:123456789012:table/jobs"] }]
  }

  expect_failures = [var.policy_statements]
}

# rule: policy_statements[1]
run "rejects_statement_with_resource_wildcard" {
  command   = plan
  parallel  = true
  state_key = "rejects_statement_with_resource_wildcard"

  variables {
    policy_statements = [{ sid = "ReadAnyTable", actions = ["dynamodb:GetItem"], resources = ["*"] }]
  }

  expect_failures = [var.policy_statements]
}

# rule: role_path[0]
run "rejects_role_path_without_slashes" {
  command   = plan
  parallel  = true
  state_key = "rejects_role_path_without_slashes"

  variables {
    role_path = "service-roles"
  }

  expect_failures = [var.role_path]
}

# rule: event_source_arn[0]
run "rejects_mapping_without_a_source_queue" {
  command   = plan
  parallel  = true
  state_key = "rejects_mapping_without_a_source_queue"

  variables {
    event_source_arn = null
  }

  expect_failures = [var.event_source_arn]
}

# rule: batch_size[0]
run "rejects_batch_size_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_batch_size_0"

  variables {
    batch_size = 0
  }

  expect_failures = [var.batch_size]
}

# rule: batch_size[0]
run "rejects_batch_size_above_10000" {
  command   = plan
  parallel  = true
  state_key = "rejects_batch_size_above_10000"

  variables {
    batch_size                         = 10001
    maximum_batching_window_in_seconds = 1
  }

  expect_failures = [var.batch_size]
}

# rule: batch_size[1], batch_size[2]
run "rejects_fifo_batch_of_11" {
  command   = plan
  parallel  = true
  state_key = "rejects_fifo_batch_of_11"

  variables {
    event_source_fifo                  = true
    batch_size                         = 11
    maximum_batching_window_in_seconds = 0
  }

  expect_failures = [var.batch_size]
}

# rule: batch_size[2]
run "rejects_batch_of_11_on_a_standard_queue_without_window" {
  command   = plan
  parallel  = true
  state_key = "rejects_batch_of_11_on_a_standard_queue_without_window"

  variables {
    batch_size                         = 11
    maximum_batching_window_in_seconds = 0
  }

  expect_failures = [var.batch_size]
}

# rule: maximum_batching_window_in_seconds[0]
run "rejects_batching_window_301" {
  command   = plan
  parallel  = true
  state_key = "rejects_batching_window_301"

  variables {
    maximum_batching_window_in_seconds = 301
  }

  expect_failures = [var.maximum_batching_window_in_seconds]
}

# rule: maximum_batching_window_in_seconds[0]
run "rejects_negative_batching_window" {
  command   = plan
  parallel  = true
  state_key = "rejects_negative_batching_window"

  variables {
    maximum_batching_window_in_seconds = -1
  }

  expect_failures = [var.maximum_batching_window_in_seconds]
}

# rule: maximum_batching_window_in_seconds[1]
run "rejects_batching_window_on_a_fifo_queue" {
  command   = plan
  parallel  = true
  state_key = "rejects_batching_window_on_a_fifo_queue"

  variables {
    event_source_fifo                  = true
    maximum_batching_window_in_seconds = 5
  }

  expect_failures = [var.maximum_batching_window_in_seconds]
}

# rule: maximum_concurrency[0]
run "rejects_maximum_concurrency_1" {
  command   = plan
  parallel  = true
  state_key = "rejects_maximum_concurrency_1"

  variables {
    maximum_concurrency = 1
  }

  expect_failures = [var.maximum_concurrency]
}

# rule: maximum_concurrency[0]
run "rejects_maximum_concurrency_1001" {
  command   = plan
  parallel  = true
  state_key = "rejects_maximum_concurrency_1001"

  variables {
    maximum_concurrency = 1001
  }

  expect_failures = [var.maximum_concurrency]
}

# rule: filter_criteria[0]
run "rejects_filter_pattern_that_is_not_json" {
  command   = plan
  parallel  = true
  state_key = "rejects_filter_pattern_that_is_not_json"

  variables {
    filter_criteria = ["{body: summarize}"]
  }

  expect_failures = [var.filter_criteria]
}

# rule: filter_criteria[0]
run "rejects_more_than_10_filter_patterns" {
  command   = plan
  parallel  = true
  state_key = "rejects_more_than_10_filter_patterns"

  variables {
    filter_criteria = [for i in range(11) : jsonencode({ body = { n = [i] } })]
  }

  expect_failures = [var.filter_criteria]
}

# rule: s3_key[0]
run "rejects_both_a_file_and_an_s3_package" {
  command   = plan
  parallel  = true
  state_key = "rejects_both_a_file_and_an_s3_package"

  variables {
    s3_bucket = "jobs-payload"
    s3_key    = "packages/functions.zip"
  }

  expect_failures = [var.s3_key]
}

# rule: role_name[0]
run "rejects_role_name_over_64_characters" {
  command   = plan
  parallel  = true
  state_key = "rejects_role_name_over_64_characters"

  variables {
    role_name = format("%065d", 0)
  }

  expect_failures = [var.role_name]
}
