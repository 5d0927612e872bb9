# Plan-level behaviour of modules/sqs-function: the SQS event source mapping (partial batch
# responses, batching, concurrency, FIFO), the function settings and the least-privilege role.

mock_provider "aws" {
  # A real partition name (mocks are random strings): ARNs and the Powertools layer's publisher
  # account are derived from it.
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

override_data {
  target = data.aws_region.current
  values = {
    region = "eu-west-1"
  }
}

override_data {
  target = data.aws_partition.current
  values = {
    partition = "aws"
  }
}

override_resource {
  target          = aws_cloudwatch_log_group.this
  override_during = plan
  values = {
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/jobs-consumer"
  }
}

variables {
  function_name    = "jobs-consumer"
  handler          = "bedrock_jobs.consumer.handler"
  filename         = "functions.zip"
  source_code_hash = "c29tZS1oYXNo"
  event_source_arn = "arn:aws:sqs:eu-west-1:123456789012:jobs"
}

run "consumer_mapping_on_a_standard_queue" {
  command = plan

  variables {
    timeout                            = 50
    batch_size                         = 10
    maximum_batching_window_in_seconds = 5
    maximum_concurrency                = 50
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.this) == 1
    error_message = "A queue-fed function gets one event source mapping."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The mapping must report partial batch failures (ReportBatchItemFailures)."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].event_source_arn == "arn:aws:sqs:eu-west-1:123456789012:jobs"
    error_message = "The mapping must read the given queue."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].batch_size == 10 && aws_lambda_event_source_mapping.this[0].maximum_batching_window_in_seconds == 5
    error_message = "Batch size 10 and a 5 s batching window must reach the mapping."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].scaling_config[0].maximum_concurrency == 50
    error_message = "maximum_concurrency must reach scaling_config."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].enabled == true
    error_message = "The mapping polls by default."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].metrics_config[0].metrics == toset(["EventCount"])
    error_message = "Event source mapping metrics are on by default."
  }
  assert {
    condition     = aws_lambda_function.this.handler == "bedrock_jobs.consumer.handler" && aws_lambda_function.this.timeout == 50
    error_message = "Handler and timeout must reach the function."
  }
  assert {
    condition     = aws_lambda_function.this.tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing is Active by default."
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "python3.12" && aws_lambda_function.this.architectures == tolist(["arm64"])
    error_message = "Defaults: python3.12 on arm64."
  }
  assert {
    condition     = aws_lambda_function.this.layers == tolist(["arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27"])
    error_message = "The Powertools layer ARN must match region, runtime and architecture: ${jsonencode(aws_lambda_function.this.layers)}"
  }
  assert {
    condition     = aws_lambda_function.this.filename == "functions.zip" && aws_lambda_function.this.source_code_hash == "c29tZS1oYXNo"
    error_message = "The package and its hash must reach the function."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/jobs-consumer" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "The function's log group is managed, with 30 days retention by default."
  }
  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/jobs-consumer" && aws_lambda_function.this.logging_config[0].log_format == "JSON"
    error_message = "The function logs JSON to its managed log group."
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["WriteOwnLogs", "WriteXRayTraces", "ConsumeSourceQueue"]
    error_message = "The role gets logs, X-Ray and exactly the consume statement."
  }
  assert {
    condition     = data.aws_iam_policy_document.this.statement[2].actions == toset(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl"]) && data.aws_iam_policy_document.this.statement[2].resources == toset(["arn:aws:sqs:eu-west-1:123456789012:jobs"])
    error_message = "The consume actions are granted on exactly the source queue."
  }
  assert {
    condition     = data.aws_iam_policy_document.this.statement[0].resources == toset(["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/jobs-consumer:log-stream:*"])
    error_message = "Logs are written to the function's own log group only."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.this.statement : s.sid == "WriteXRayTraces" || !contains(s.resources, "*")])
    error_message = "Only the X-Ray statement may use resource \"*\"."
  }
  assert {
    condition     = data.aws_iam_policy_document.this.statement[1].actions == toset(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]) && data.aws_iam_policy_document.this.statement[1].resources == toset(["*"])
    error_message = "The X-Ray statement holds exactly the two actions that require \"*\"."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.this.statement : alltrue([for a in s.actions : !strcontains(a, "*")])])
    error_message = "No action may be a wildcard."
  }
  assert {
    condition     = aws_iam_role_policy.this.name == "jobs-consumer" && aws_iam_role.this.name == "jobs-consumer-eu-west-1"
    error_message = "The role is named after the function and the region (IAM names are account-wide), its inline policy after the function."
  }
}

run "no_batching_window_when_0_and_no_scaling_config_when_unset" {
  command = plan

  assert {
    condition     = aws_lambda_event_source_mapping.this[0].maximum_batching_window_in_seconds == null
    error_message = "A 0 s window is left unset."
  }
  assert {
    condition     = length(aws_lambda_event_source_mapping.this[0].scaling_config) == 0
    error_message = "Without maximum_concurrency there is no scaling_config."
  }
}

run "fifo_source_gets_no_batching_window" {
  command = plan

  variables {
    event_source_fifo                  = true
    batch_size                         = 10
    maximum_batching_window_in_seconds = 0
    maximum_concurrency                = 10
  }

  assert {
    condition     = aws_lambda_event_source_mapping.this[0].maximum_batching_window_in_seconds == null
    error_message = "AWS rejects a batching window on a FIFO source."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].batch_size == 10 && aws_lambda_event_source_mapping.this[0].scaling_config[0].maximum_concurrency == 10
    error_message = "FIFO mapping settings must pass through."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "FIFO mappings report partial batch failures too."
  }
}

run "large_batches_with_a_window" {
  command = plan

  variables {
    batch_size                         = 10000
    maximum_batching_window_in_seconds = 300
    maximum_concurrency                = 1000
  }

  assert {
    condition     = aws_lambda_event_source_mapping.this[0].batch_size == 10000 && aws_lambda_event_source_mapping.this[0].maximum_batching_window_in_seconds == 300
    error_message = "Up to 10,000 records with a window of up to 300 s are valid on a standard queue."
  }
}

run "filters_and_a_paused_mapping" {
  command = plan

  variables {
    filter_criteria              = [jsonencode({ body = { task = ["summarize"] } })]
    event_source_mapping_enabled = false
    metrics_enabled              = false
  }

  assert {
    condition     = one(aws_lambda_event_source_mapping.this[0].filter_criteria[0].filter).pattern == "{\"body\":{\"task\":[\"summarize\"]}}"
    error_message = "filter_criteria must reach the mapping."
  }
  assert {
    condition     = aws_lambda_event_source_mapping.this[0].enabled == false && length(aws_lambda_event_source_mapping.this[0].metrics_config) == 0
    error_message = "The mapping can be paused and its metrics turned off."
  }
}

run "producer_without_a_mapping" {
  command = plan

  variables {
    function_name               = "jobs-producer"
    handler                     = "bedrock_jobs.producer.handler"
    create_event_source_mapping = false
    event_source_arn            = null
    policy_statements = [
      { sid = "EnqueueJobs", actions = ["sqs:SendMessage"], resources = ["arn:aws:sqs:eu-west-1:123456789012:jobs"] },
    ]
  }

  assert {
    condition     = length(aws_lambda_event_source_mapping.this) == 0
    error_message = "No mapping when create_event_source_mapping is false."
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["WriteOwnLogs", "WriteXRayTraces", "EnqueueJobs"]
    error_message = "No consume statement without a mapping; extra statements are appended."
  }
  assert {
    condition     = data.aws_iam_policy_document.this.statement[2].actions == toset(["sqs:SendMessage"]) && data.aws_iam_policy_document.this.statement[2].resources == toset(["arn:aws:sqs:eu-west-1:123456789012:jobs"])
    error_message = "Extra statements keep their exact actions and resources."
  }
}

run "kms_keys_get_decrypt_statements" {
  command = plan

  variables {
    kms_key_arn              = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    event_source_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000"
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["WriteOwnLogs", "WriteXRayTraces", "ConsumeSourceQueue", "DecryptSourceQueue", "DecryptEnvironment"]
    error_message = "Both keys get a decrypt statement."
  }
  assert {
    condition     = data.aws_iam_policy_document.this.statement[3].actions == toset(["kms:Decrypt"]) && data.aws_iam_policy_document.this.statement[3].resources == toset(["arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000"])
    error_message = "kms:Decrypt on exactly the source queue's key."
  }
  assert {
    condition     = aws_lambda_function.this.kms_key_arn == "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555" && aws_cloudwatch_log_group.this.kms_key_id == aws_lambda_function.this.kms_key_arn
    error_message = "The key encrypts the environment and the log group."
  }
}

run "layers_can_be_replaced_or_dropped" {
  command = plan

  variables {
    runtime              = "python3.13"
    architectures        = ["x86_64"]
    powertools_layer_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:layer:Powertools:3"
    layers               = ["arn:aws:lambda:eu-west-1:123456789012:layer:extra:1"]
  }

  assert {
    condition     = aws_lambda_function.this.layers == tolist(["arn:aws-cn:lambda:cn-north-1:123456789012:layer:Powertools:3", "arn:aws:lambda:eu-west-1:123456789012:layer:extra:1"])
    error_message = "An explicit Powertools layer ARN comes first, extra layers after it."
  }
  assert {
    condition     = aws_lambda_function.this.runtime == "python3.13" && aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "Runtime and architecture must pass through."
  }
}

run "powertools_layer_can_be_turned_off" {
  command = plan

  variables {
    powertools_layer_enabled = false
  }

  assert {
    condition     = length(aws_lambda_function.this.layers) == 0
    error_message = "No layers when the Powertools layer is disabled and none are added."
  }
}
