# Every validation of modules/bucket rejects a bad value. Each run targets the rule(s) named in the
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
  bucket = "jobs-123456789012-eu-west-1-payload"
}

# rule: bucket[0]
run "rejects_uppercase_bucket_name" {
  command   = plan
  parallel  = true
  state_key = "rejects_uppercase_bucket_name"

  variables {
    bucket = "Jobs-Payload"
  }

  expect_failures = [var.bucket]
}

# rule: bucket[0]
run "rejects_bucket_name_with_consecutive_dots" {
  command   = plan
  parallel  = true
  state_key = "rejects_bucket_name_with_consecutive_dots"

  variables {
    bucket = "jobs..payload"
  }

  expect_failures = [var.bucket]
}

# rule: bucket[0]
run "rejects_bucket_name_over_63_characters" {
  command   = plan
  parallel  = true
  state_key = "rejects_bucket_name_over_63_characters"

  variables {
    bucket = format("%064d", 0)
  }

  expect_failures = [var.bucket]
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

# rule: noncurrent_version_expiration_days[0]
run "rejects_noncurrent_expiration_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_noncurrent_expiration_0"

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

# rule: abort_incomplete_multipart_upload_days[0]
run "rejects_abort_multipart_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_abort_multipart_0"

  variables {
    abort_incomplete_multipart_upload_days = 0
  }

  expect_failures = [var.abort_incomplete_multipart_upload_days]
}

# rule: lifecycle_rules[0]
run "rejects_lifecycle_prefix_without_a_slash" {
  command   = plan
  parallel  = true
  state_key = "rejects_lifecycle_prefix_without_a_slash"

  variables {
    lifecycle_rules = [{ id = "documents", prefix = "documents", expiration_days = 30 }]
  }

  expect_failures = [var.lifecycle_rules]
}

# rule: lifecycle_rules[0]
run "rejects_lifecycle_rule_id_with_a_space" {
  command   = plan
  parallel  = true
  state_key = "rejects_lifecycle_rule_id_with_a_space"

  variables {
    lifecycle_rules = [{ id = "my documents", prefix = "documents/", expiration_days = 30 }]
  }

  expect_failures = [var.lifecycle_rules]
}

# rule: lifecycle_rules[1]
run "rejects_unknown_storage_class" {
  command   = plan
  parallel  = true
  state_key = "rejects_unknown_storage_class"

  variables {
    lifecycle_rules = [{ id = "documents", prefix = "documents/", transition_days = 30, transition_storage_class = "REDUCED_REDUNDANCY" }]
  }

  expect_failures = [var.lifecycle_rules]
}

# rule: lifecycle_rules[2]
run "rejects_ia_transition_before_30_days" {
  command   = plan
  parallel  = true
  state_key = "rejects_ia_transition_before_30_days"

  variables {
    lifecycle_rules = [{ id = "documents", prefix = "documents/", transition_days = 29, transition_storage_class = "STANDARD_IA" }]
  }

  expect_failures = [var.lifecycle_rules]
}

# rule: lifecycle_rules[3]
run "rejects_expiration_before_transition" {
  command   = plan
  parallel  = true
  state_key = "rejects_expiration_before_transition"

  variables {
    lifecycle_rules = [{ id = "documents", prefix = "documents/", transition_days = 60, transition_storage_class = "GLACIER", expiration_days = 30 }]
  }

  expect_failures = [var.lifecycle_rules]
}

# rule: lifecycle_rules[3]
run "rejects_expiration_0" {
  command   = plan
  parallel  = true
  state_key = "rejects_expiration_0"

  variables {
    lifecycle_rules = [{ id = "documents", prefix = "documents/", expiration_days = 0 }]
  }

  expect_failures = [var.lifecycle_rules]
}

# rule: lifecycle_rules[4]
run "rejects_rule_without_transition_or_expiration" {
  command   = plan
  parallel  = true
  state_key = "rejects_rule_without_transition_or_expiration"

  variables {
    lifecycle_rules = [{ id = "documents", prefix = "documents/" }]
  }

  expect_failures = [var.lifecycle_rules]
}
