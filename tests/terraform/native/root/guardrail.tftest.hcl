# Guardrails (guardrails.tf): off by default, attaching an existing guardrail, creating one, and every
# validation of the guardrail variables (and of the tasks' guardrail fields). Validation runs target the
# rule(s) named in the comment above them (variable[index of its validation block]);
# test_terraform_native.py re-runs them without expect_failures and checks that exactly those rules fail.

mock_provider "aws" {
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
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
  }
}

run "guardrails_off_by_default" {
  command = plan

  assert {
    condition     = length(aws_bedrock_guardrail.this) == 0 && length(aws_bedrock_guardrail_version.this) == 0
    error_message = "No guardrail is created unless guardrail_create."
  }
  assert {
    condition     = length(local.guardrail_statements) == 0 && length(output.guardrail_arns) == 0 && output.guardrail_id == null
    error_message = "No ApplyGuardrail grant and no guardrail outputs without a guardrail."
  }
}

run "existing_guardrail_is_granted_by_arn" {
  command = plan

  variables {
    guardrail_id      = "abc123"
    guardrail_version = "DRAFT"
  }

  assert {
    condition     = one(output.guardrail_arns) == "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123" && length(aws_bedrock_guardrail.this) == 0
    error_message = "An existing guardrail id is granted as this account's and region's guardrail ARN."
  }
  assert {
    condition     = local.guardrail_environment.GUARDRAIL_ID == "abc123" && local.guardrail_environment.GUARDRAIL_VERSION == "DRAFT"
    error_message = "The consumer gets GUARDRAIL_ID and GUARDRAIL_VERSION."
  }
}

run "created_guardrail_has_a_version" {
  command = plan

  variables {
    guardrail_create       = true
    guardrail_pii_entities = { EMAIL = "ANONYMIZE" }
  }

  assert {
    condition     = length(aws_bedrock_guardrail.this) == 1 && length(aws_bedrock_guardrail_version.this) == 1
    error_message = "guardrail_create makes a guardrail and a numbered version of it."
  }
  assert {
    condition     = length(aws_bedrock_guardrail.this[0].sensitive_information_policy_config) == 1 && length(aws_bedrock_guardrail.this[0].topic_policy_config) == 0
    error_message = "PII masking only with guardrail_pii_entities, denied topics only with guardrail_denied_topics."
  }
}

# rule: tasks[5]
run "rejects_task_guardrail_without_version" {
  command   = plan
  parallel  = true
  state_key = "rejects_task_guardrail_without_version"

  variables {
    tasks = { legal = { user_template = "{document}", guardrail_id = "abc123" } }
  }

  expect_failures = [var.tasks]
}

# rule: guardrail_id[0]
run "rejects_bad_guardrail_id" {
  command   = plan
  parallel  = true
  state_key = "rejects_bad_guardrail_id"

  variables {
    guardrail_id      = "My_Guardrail"
    guardrail_version = "1"
  }

  expect_failures = [var.guardrail_id]
}

# rule: guardrail_id[1]
run "rejects_guardrail_id_with_create" {
  command   = plan
  parallel  = true
  state_key = "rejects_guardrail_id_with_create"

  variables {
    guardrail_id      = "abc123"
    guardrail_version = "1"
    guardrail_create  = true
  }

  expect_failures = [var.guardrail_id]
}

# rule: guardrail_version[0]
run "rejects_bad_guardrail_version" {
  command   = plan
  parallel  = true
  state_key = "rejects_bad_guardrail_version"

  variables {
    guardrail_id      = "abc123"
    guardrail_version = "v0"
  }

  expect_failures = [var.guardrail_version]
}

# rule: guardrail_version[1]
run "rejects_guardrail_id_without_version" {
  command   = plan
  parallel  = true
  state_key = "rejects_guardrail_id_without_version"

  variables {
    guardrail_id = "abc123"
  }

  expect_failures = [var.guardrail_version]
}

# rule: guardrail_name[0]
run "rejects_bad_guardrail_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_bad_guardrail_name"

  variables {
    guardrail_name = "my guardrail"
  }

  expect_failures = [var.guardrail_name]
}

# rule: guardrail_blocked_input_messaging[0]
run "rejects_empty_blocked_input_messaging" {
  command   = plan
  parallel  = true
  state_key = "rejects_empty_blocked_input_messaging"

  variables {
    guardrail_blocked_input_messaging = ""
  }

  expect_failures = [var.guardrail_blocked_input_messaging]
}

# rule: guardrail_blocked_outputs_messaging[0]
run "rejects_long_blocked_outputs_messaging" {
  command   = plan
  parallel  = true
  state_key = "rejects_long_blocked_outputs_messaging"

  variables {
    guardrail_blocked_outputs_messaging = join("", [for i in range(501) : "x"])
  }

  expect_failures = [var.guardrail_blocked_outputs_messaging]
}

# rule: guardrail_content_filters[0]
run "rejects_unknown_content_filter" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_content_filter"

  variables {
    guardrail_content_filters = { PROFANITY = { input_strength = "HIGH", output_strength = "HIGH" } }
  }

  expect_failures = [var.guardrail_content_filters]
}

# rule: guardrail_content_filters[1]
run "rejects_unknown_filter_strength" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_filter_strength"

  variables {
    guardrail_content_filters = { HATE = { input_strength = "EXTREME", output_strength = "HIGH" } }
  }

  expect_failures = [var.guardrail_content_filters]
}

# rule: guardrail_content_filters[2]
run "rejects_prompt_attack_output_filter" {
  command   = plan
  parallel  = true
  state_key = "rejects_prompt_attack_output_filter"

  variables {
    guardrail_content_filters = { PROMPT_ATTACK = { input_strength = "HIGH", output_strength = "HIGH" } }
  }

  expect_failures = [var.guardrail_content_filters]
}

# rule: guardrail_content_filters[3]
run "rejects_created_guardrail_without_policies" {
  command   = plan
  parallel  = true
  state_key = "rejects_created_guardrail_without_policies"

  variables {
    guardrail_create          = true
    guardrail_content_filters = {}
  }

  expect_failures = [var.guardrail_content_filters]
}

# rule: guardrail_pii_entities[0]
run "rejects_unknown_pii_entity" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_pii_entity"

  variables {
    guardrail_pii_entities = { SHOE_SIZE = "BLOCK" }
  }

  expect_failures = [var.guardrail_pii_entities]
}

# rule: guardrail_pii_entities[1]
run "rejects_unknown_pii_action" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_pii_action"

  variables {
    guardrail_pii_entities = { EMAIL = "DELETE" }
  }

  expect_failures = [var.guardrail_pii_entities]
}

# rule: guardrail_denied_topics[0]
run "rejects_bad_denied_topic_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_bad_denied_topic_name"

  variables {
    guardrail_denied_topics = [{ name = "Topic/1", definition = "Something." }]
  }

  expect_failures = [var.guardrail_denied_topics]
}

# rule: guardrail_denied_topics[1]
run "rejects_long_denied_topic_definition" {
  command   = plan
  parallel  = true
  state_key = "rejects_long_denied_topic_definition"

  variables {
    guardrail_denied_topics = [{ name = "Topic", definition = join("", [for i in range(201) : "x"]) }]
  }

  expect_failures = [var.guardrail_denied_topics]
}

# rule: guardrail_denied_topics[2]
run "rejects_too_many_denied_topic_examples" {
  command   = plan
  parallel  = true
  state_key = "rejects_too_many_denied_topic_examples"

  variables {
    guardrail_denied_topics = [{ name = "Topic", definition = "Something.", examples = ["a", "b", "c", "d", "e", "f"] }]
  }

  expect_failures = [var.guardrail_denied_topics]
}

# rule: guardrail_denied_topics[3]
run "rejects_too_many_denied_topics" {
  command   = plan
  parallel  = true
  state_key = "rejects_too_many_denied_topics"

  variables {
    guardrail_denied_topics = [for i in range(31) : { name = "Topic ${i}", definition = "Something." }]
  }

  expect_failures = [var.guardrail_denied_topics]
}
