# Root-module resources visible to terraform test: the producer's Function URL, the jobs table,
# the results topic, the Bedrock model ARNs, EventBridge rules and the S3 upload trigger.

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

override_data {
  target = data.aws_region.current
  values = {
    region = "us-east-1"
  }
}

override_data {
  target = data.aws_partition.current
  values = {
    partition = "aws"
  }
}

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
  }
}

run "producer_function_url_uses_iam_auth" {
  command = plan

  assert {
    condition     = length(aws_lambda_function_url.producer) == 1 && aws_lambda_function_url.producer[0].authorization_type == "AWS_IAM"
    error_message = "The job API is a Function URL with AWS_IAM auth by default."
  }
  assert {
    condition     = aws_lambda_function_url.producer[0].function_name == "bedrock-jobs-producer"
    error_message = "The Function URL belongs to the producer."
  }
  assert {
    condition     = length(aws_lambda_permission.producer_url) == 0 && length(aws_lambda_permission.producer_url_invoke) == 0
    error_message = "No resource-based permissions unless principals of other accounts are allowed."
  }
  assert {
    condition     = data.aws_iam_policy_document.producer_invoke.statement[0].actions == toset(["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"])
    error_message = "The caller policy grants exactly the two invoke actions."
  }
}

run "cross_account_callers_get_permissions" {
  command = plan

  variables {
    producer_url_allowed_principals = ["210987654321"]
  }

  assert {
    condition     = aws_lambda_permission.producer_url["0"].principal == "210987654321" && aws_lambda_permission.producer_url["0"].action == "lambda:InvokeFunctionUrl" && aws_lambda_permission.producer_url["0"].function_url_auth_type == "AWS_IAM"
    error_message = "Allowed accounts may invoke the URL with IAM auth (permissions keyed by position: principals may be unknown until apply)."
  }
  assert {
    condition     = aws_lambda_permission.producer_url_invoke["0"].principal == "210987654321" && aws_lambda_permission.producer_url_invoke["0"].action == "lambda:InvokeFunction" && aws_lambda_permission.producer_url_invoke["0"].invoked_via_function_url == true
    error_message = "lambda:InvokeFunction is granted only through the Function URL."
  }
}

run "public_url_needs_the_explicit_opt_in" {
  command = plan

  variables {
    producer_url_authorization_type    = "NONE"
    producer_url_allow_unauthenticated = true
  }

  assert {
    condition     = aws_lambda_function_url.producer[0].authorization_type == "NONE" && aws_lambda_permission.producer_url["0"].principal == "*"
    error_message = "With the opt-in, authorization NONE is public."
  }
}

run "no_function_url" {
  command = plan

  variables {
    producer_url_enabled = false
  }

  assert {
    condition     = length(aws_lambda_function_url.producer) == 0
    error_message = "producer_url_enabled = false removes the Function URL."
  }
}

run "jobs_table" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.jobs.name == "bedrock-jobs-jobs" && aws_dynamodb_table.jobs.hash_key == "job_id" && aws_dynamodb_table.jobs.billing_mode == "PAY_PER_REQUEST"
    error_message = "The jobs table is keyed by job_id, on demand."
  }
  assert {
    condition     = { for a in aws_dynamodb_table.jobs.attribute : a.name => a.type } == { job_id = "S", failed_day = "S", failed_at = "S" }
    error_message = "job_id is a string, and so are the keys of the index of failures."
  }
  assert {
    condition     = one(aws_dynamodb_table.jobs.global_secondary_index).name == "failed-by-day" && one(aws_dynamodb_table.jobs.global_secondary_index).hash_key == "failed_day" && one(aws_dynamodb_table.jobs.global_secondary_index).range_key == "failed_at"
    error_message = "The sparse index of failed jobs is keyed by day and time of failure."
  }
  assert {
    condition     = aws_dynamodb_table.jobs.server_side_encryption[0].enabled == true
    error_message = "The jobs table must be encrypted."
  }
  assert {
    condition     = aws_dynamodb_table.jobs.point_in_time_recovery[0].enabled == true
    error_message = "The jobs table must have point-in-time recovery."
  }
  assert {
    condition     = aws_dynamodb_table.jobs.ttl[0].attribute_name == "expires_at" && aws_dynamodb_table.jobs.deletion_protection_enabled == true
    error_message = "TTL on expires_at; deletion protection on by default."
  }
}

run "results_topic_is_encrypted" {
  command = plan

  assert {
    condition     = length(aws_sns_topic.results) == 1 && aws_sns_topic.results[0].name == "bedrock-jobs-results"
    error_message = "The module creates <name>-results by default."
  }
  assert {
    condition     = aws_sns_topic.results[0].kms_master_key_id == "alias/aws/sns"
    error_message = "The results topic uses the AWS managed SNS key by default."
  }
  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.results_topic[0].statement : s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && contains(c.values, "false")])])
    error_message = "The results topic denies publishing without TLS."
  }
}

run "customer_managed_key_everywhere" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = aws_sns_topic.results[0].kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The results topic uses the shared key."
  }
  assert {
    condition     = aws_dynamodb_table.jobs.server_side_encryption[0].kms_key_arn == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The jobs table uses the shared key."
  }
}

run "model_arns_for_a_foundation_model" {
  command = plan

  variables {
    model_id = "amazon.nova-lite-v1:0"
  }

  assert {
    condition     = output.consumer_model_arns == tolist(["arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"])
    error_message = "A model id maps to exactly its foundation model ARN: ${jsonencode(output.consumer_model_arns)}"
  }
}

run "model_arns_for_an_inference_profile" {
  command = plan

  variables {
    model_id = "us.amazon.nova-lite-v1:0"
  }

  assert {
    condition = output.consumer_model_arns == tolist([
      "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0",
      "arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0",
    ])
    error_message = "A cross-region profile maps to the profile and its model in any region: ${jsonencode(output.consumer_model_arns)}"
  }
}

run "eventbridge_rule_on_a_standard_queue" {
  command = plan

  variables {
    eventbridge_rules = [
      {
        name          = "tickets"
        event_pattern = "{\"source\":[\"com.example.support\"]}"
        task          = "classify"
        document_path = "$.detail.body"
        labels        = ["billing", "bug"]
      },
    ]
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this["tickets"].name == "bedrock-jobs-tickets" && aws_cloudwatch_event_rule.this["tickets"].event_pattern == "{\"source\":[\"com.example.support\"]}" && aws_cloudwatch_event_rule.this["tickets"].state == "ENABLED"
    error_message = "One rule per entry, named <name>-<rule>, with the given pattern."
  }
  assert {
    condition     = aws_cloudwatch_event_target.this["tickets"].input_transformer[0].input_paths == tomap({ id = "$.id", time = "$.time", document = "$.detail.body" })
    error_message = "The transformer reads the event id, time and the document path."
  }
  assert {
    condition     = jsondecode(replace(replace(replace(aws_cloudwatch_event_target.this["tickets"].input_transformer[0].input_template, "<id>", "\"e-1\""), "<document>", "\"text\""), "<time>", "\"t\"")) == { job_id = "e-1", task = "classify", document = "text", correlation_id = "e-1", submitted_at = "t", labels = ["billing", "bug"] }
    error_message = "The template must render the queue message contract: ${aws_cloudwatch_event_target.this["tickets"].input_transformer[0].input_template}"
  }
  assert {
    condition     = length(aws_cloudwatch_event_target.this["tickets"].dead_letter_config) == 1 && length(aws_cloudwatch_event_target.this["tickets"].sqs_target) == 0
    error_message = "Standard queue targets dead-letter to the DLQ and carry no message group."
  }
}

run "eventbridge_rule_on_a_fifo_queue" {
  command = plan

  variables {
    queue_fifo                                  = true
    consumer_maximum_batching_window_in_seconds = 0
    eventbridge_rules = [
      { name = "contracts", event_pattern = "{\"source\":[\"com.example.contracts\"]}", task = "summarize", message_group_id = "contracts" },
    ]
  }

  assert {
    condition     = aws_cloudwatch_event_target.this["contracts"].sqs_target[0].message_group_id == "contracts"
    error_message = "FIFO targets need the message group."
  }
  assert {
    condition     = length(aws_cloudwatch_event_target.this["contracts"].dead_letter_config) == 0
    error_message = "EventBridge cannot dead-letter to a FIFO queue."
  }
}

run "s3_upload_trigger" {
  command = plan

  variables {
    s3_trigger_enabled = true
    s3_trigger_prefix  = "incoming/"
    s3_trigger_suffix  = ".txt"
  }

  assert {
    condition     = length(module.s3_trigger_bucket) == 1 && output.s3_trigger_bucket_name == "bedrock-jobs-123456789012-us-east-1-inbox"
    error_message = "The upload bucket is created as <name>-<account>-<region>-inbox."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.s3_trigger[0].event_pattern).source == ["aws.s3"] && jsondecode(aws_cloudwatch_event_rule.s3_trigger[0].event_pattern)["detail-type"] == ["Object Created"]
    error_message = "The rule matches S3 Object Created events."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.s3_trigger[0].event_pattern).detail.bucket.name == ["bedrock-jobs-123456789012-us-east-1-inbox"] && jsondecode(aws_cloudwatch_event_rule.s3_trigger[0].event_pattern).detail.object.key == [{ wildcard = "incoming/*.txt" }]
    error_message = "The rule matches the upload bucket, prefix and suffix: ${aws_cloudwatch_event_rule.s3_trigger[0].event_pattern}"
  }
  assert {
    condition     = jsondecode(replace(replace(replace(replace(aws_cloudwatch_event_target.s3_trigger[0].input_transformer[0].input_template, "<id>", "\"e-1\""), "<time>", "\"t\""), "<bucket>", "\"b\""), "<key>", "\"k\"")) == { version = "0", id = "e-1", "detail-type" = "Object Created", source = "aws.s3", time = "t", detail = { bucket = { name = "b" }, object = { key = "k" }, task = "summarize" } }
    error_message = "Uploads reach the queue as S3 Object Created events (key decoded by the consumer) with the task: ${aws_cloudwatch_event_target.s3_trigger[0].input_transformer[0].input_template}"
  }
}

run "dashboard" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 1
    error_message = "The dashboard is created by default."
  }
}
