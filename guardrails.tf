################################################################################
# Bedrock Guardrails: defense in depth on every model call
#
# The consumer passes guardrailConfig on each Converse call (UG "Use a guardrail with the Converse
# API"): the deployment's guardrail (an existing one, guardrail_id/guardrail_version, or the one created
# here) unless the job's task names its own or "none". An intervention (stopReason guardrail_intervened)
# fails the job for good: archived, announced on the results topic, counted in GuardrailInterventions and
# JobsFailedOnInput, never retried, no page per job.
################################################################################

locals {
  # The deployment's default guardrail, or null.
  default_guardrail = var.guardrail_create ? {
    id      = aws_bedrock_guardrail.this[0].guardrail_id
    arn     = aws_bedrock_guardrail.this[0].guardrail_arn
    version = aws_bedrock_guardrail_version.this[0].version
    } : var.guardrail_id != null ? {
    id      = var.guardrail_id
    arn     = startswith(var.guardrail_id, "arn:") ? var.guardrail_id : "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:guardrail/${var.guardrail_id}"
    version = var.guardrail_version
  } : null

  # Guardrails tasks name themselves ("none" is no guardrail), as ARNs: an id is this account's and region's.
  task_guardrail_arns = [
    for t in values(var.tasks) : (
      startswith(t.guardrail_id, "arn:") ? t.guardrail_id : "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:guardrail/${t.guardrail_id}"
    ) if t.guardrail_id != null && t.guardrail_id != "none"
  ]

  guardrail_arns = distinct(concat(local.default_guardrail != null ? [local.default_guardrail.arn] : [], local.task_guardrail_arns))

  # Converse with guardrailConfig needs bedrock:ApplyGuardrail on the guardrail, named by its ARN
  # (arn:<partition>:bedrock:<region>:<account>:guardrail/<id>) besides bedrock:InvokeModel on the model
  # (UG "Set up permissions to use guardrails"): exactly the guardrails in use, nothing else.
  guardrail_statements = length(local.guardrail_arns) > 0 ? [
    {
      sid       = "ApplyGuardrails"
      actions   = ["bedrock:ApplyGuardrail"]
      resources = local.guardrail_arns
    },
  ] : []

  # Tasks' own guardrails travel in TASKS_CONFIG (the tasks variable as is).
  guardrail_environment = local.default_guardrail != null ? {
    GUARDRAIL_ID      = local.default_guardrail.id
    GUARDRAIL_VERSION = local.default_guardrail.version
  } : {}
}

resource "aws_bedrock_guardrail" "this" {
  count = var.guardrail_create ? 1 : 0

  name                      = coalesce(var.guardrail_name, substr(replace(local.service_name, "/[^0-9a-zA-Z_-]/", "-"), 0, 50))
  description               = "bedrock-jobs ${var.name}: applied to every model call of the consumer"
  blocked_input_messaging   = var.guardrail_blocked_input_messaging
  blocked_outputs_messaging = var.guardrail_blocked_outputs_messaging
  kms_key_arn               = var.kms_key_arn

  dynamic "content_policy_config" {
    for_each = length(var.guardrail_content_filters) > 0 ? [var.guardrail_content_filters] : []

    content {
      dynamic "filters_config" {
        for_each = content_policy_config.value

        content {
          type            = filters_config.key
          input_strength  = filters_config.value.input_strength
          output_strength = filters_config.value.output_strength
        }
      }
    }
  }

  dynamic "sensitive_information_policy_config" {
    for_each = length(var.guardrail_pii_entities) > 0 ? [var.guardrail_pii_entities] : []

    content {
      dynamic "pii_entities_config" {
        for_each = sensitive_information_policy_config.value

        content {
          type   = pii_entities_config.key
          action = pii_entities_config.value
        }
      }
    }
  }

  dynamic "topic_policy_config" {
    for_each = length(var.guardrail_denied_topics) > 0 ? [var.guardrail_denied_topics] : []

    content {
      dynamic "topics_config" {
        for_each = topic_policy_config.value

        content {
          name       = topics_config.value.name
          definition = topics_config.value.definition
          examples   = topics_config.value.examples
          type       = "DENY"
        }
      }
    }
  }

  tags = var.tags
}

# The consumer uses a numbered version, never DRAFT: an edit of the guardrail makes a new version
# (replace_triggered_by) and the consumer moves to it in the same apply; the old one is removed after.
resource "aws_bedrock_guardrail_version" "this" {
  count = var.guardrail_create ? 1 : 0

  guardrail_arn = aws_bedrock_guardrail.this[0].guardrail_arn
  description   = "bedrock-jobs ${var.name}"

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [aws_bedrock_guardrail.this[count.index]]
  }
}
