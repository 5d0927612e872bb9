# Account-wide names and partitions in modules/sqs-function: IAM role names carry the region (IAM is
# global, so the same function name must be deployable in two regions), stay within IAM's 64
# characters, can be given or prefixed; the Powertools layer comes from the partition's publisher
# account, and a partition without a known publisher fails at plan with a clear message.

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
    region = "ap-southeast-4"
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
    arn = "arn:aws:logs:ap-southeast-4:123456789012:log-group:/aws/lambda/jobs-consumer"
  }
}

variables {
  function_name    = "jobs-consumer"
  handler          = "bedrock_jobs.consumer.handler"
  s3_bucket        = "jobs-payload"
  s3_key           = "packages/jobs-functions-0123456789abcdef.zip"
  source_code_hash = "c29tZS1oYXNo"
  event_source_arn = "arn:aws:sqs:ap-southeast-4:123456789012:jobs"
}

run "role_name_carries_the_region" {
  command = plan

  assert {
    condition     = aws_iam_role.this.name == "jobs-consumer-ap-southeast-4"
    error_message = "The default role name is <function_name>-<region>."
  }
  assert {
    condition     = aws_lambda_function.this.s3_bucket == "jobs-payload" && aws_lambda_function.this.filename == null
    error_message = "The function deploys from the S3 package."
  }
}

run "longest_function_name_gives_a_64_character_role_name" {
  command = plan

  variables {
    function_name = "a234567890123456789012345678901234567890123456789012345678901234"
  }

  assert {
    condition     = length(aws_iam_role.this.name) <= 64 && endswith(aws_iam_role.this.name, "-ap-southeast-4")
    error_message = "A long function name is shortened with a hash so that the role name, region included, fits IAM's 64 characters."
  }
}

run "role_name_and_prefix_can_be_given" {
  command = plan

  variables {
    role_name            = "platform-jobs-consumer"
    role_use_name_prefix = true
  }

  assert {
    condition     = aws_iam_role.this.name_prefix == "platform-jobs-consumer-"
    error_message = "role_use_name_prefix names the role by prefix."
  }
}

run "china_partition_layer" {
  command = plan

  override_data {
    target = data.aws_partition.current
    values = {
      partition = "aws-cn"
    }
  }

  assert {
    condition     = startswith(one(aws_lambda_function.this.layers), "arn:aws-cn:lambda:ap-southeast-4:498634801083:layer:AWSLambdaPowertoolsPythonV3-")
    error_message = "In the China partition the Powertools layer comes from its publisher account there."
  }
}

run "unknown_partition_with_an_explicit_layer" {
  command = plan

  override_data {
    target = data.aws_partition.current
    values = {
      partition = "aws-us-gov"
    }
  }

  variables {
    powertools_layer_arn = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:powertools:3"
  }

  assert {
    condition     = one(aws_lambda_function.this.layers) == "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:powertools:3"
    error_message = "An explicit layer ARN is used as given."
  }
}

run "policy_statement_conditions_are_rendered" {
  command = plan

  variables {
    policy_statements = [
      {
        sid       = "Subscribe"
        actions   = ["aws-marketplace:Subscribe"]
        resources = ["*"]
        conditions = [
          { test = "ForAnyValue:StringEquals", variable = "aws-marketplace:ProductId", values = ["prod-abc"] },
        ]
      },
    ]
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.this.statement : anytrue([for c in s.condition : c.variable == "aws-marketplace:ProductId" && contains(c.values, "prod-abc")])])
    error_message = "Conditions of extra statements reach the policy."
  }
}

# Last in the file: a run that ends in an error makes terraform test skip the runs after it when
# test_terraform_native.py re-runs this file without expect_failures.
# precondition: aws_lambda_function.this
run "unknown_partition_needs_an_explicit_layer" {
  command = plan

  override_data {
    target = data.aws_partition.current
    values = {
      partition = "aws-us-gov"
    }
  }

  expect_failures = [aws_lambda_function.this]
}
