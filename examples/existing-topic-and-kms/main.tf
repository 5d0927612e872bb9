provider "aws" {
  region = var.region
}

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  name       = "secure-jobs"
}

################################################################################
# A customer managed key for everything the module encrypts
################################################################################

data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_111:This is a key policy: resource "*" means this key only, and write access is constrained by principal and conditions.
  # checkov:skip=CKV_AWS_356:This is a key policy: resource "*" means this key only.
  # checkov:skip=CKV_AWS_109:This is a key policy: the account root statement is what lets IAM policies govern the key (AWS's default key policy).
  # Key administration and all use by IAM principals (the functions' roles, Terraform itself when it
  # creates the table, buckets and queues) are governed by IAM policies of this account.
  statement {
    sid       = "AccountAdministersKey"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  # EventBridge rules deliver to the KMS-encrypted job queue and dead-letter queue. This statement is
  # the one the SQS Developer Guide gives for AWS services that send to encrypted queues ("Amazon SQS
  # key management", section "Enable compatibility between event sources from AWS services and
  # encrypted queues"), without conditions: EventBridge does not send aws:SourceAccount/aws:SourceArn
  # with the KMS calls SQS makes for its deliveries, so such a condition would silently drop every
  # delivery (the rule's FailedInvocations metric would be the only sign).
  statement {
    sid       = "EventBridgeSendsToEncryptedQueues"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }

  # SNS delivers the results and alerts topics to encrypted subscribers (e.g. SQS queues).
  # CloudWatch alarms publish to the encrypted alerts topic.
  statement {
    sid       = "AwsServicesUseKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com", "cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  # Lambda encrypts environment variables and SQS/S3/DynamoDB encrypt data with the key on behalf of
  # principals of this account; allow exactly those services to use it through the account.
  statement {
    sid       = "AccountUseViaServices"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey", "kms:CreateGrant"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values = [
        "lambda.${local.region}.amazonaws.com",
        "sqs.${local.region}.amazonaws.com",
        "s3.${local.region}.amazonaws.com",
        "dynamodb.${local.region}.amazonaws.com",
        "sns.${local.region}.amazonaws.com",
      ]
    }
  }

  # CloudWatch Logs encrypts the functions' log groups.
  statement {
    sid       = "CloudWatchLogsUseKey"
    effect    = "Allow"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${local.name}: queues, table, buckets, topics, Lambda environment and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.this.key_id
}

################################################################################
# An existing on-call topic (here created by the same stack for the example)
################################################################################

resource "aws_sns_topic" "oncall" {
  name              = "${local.name}-oncall"
  kms_master_key_id = aws_kms_key.this.arn
}

data "aws_iam_policy_document" "oncall" {
  statement {
    sid       = "AccountOwnerUsesTopic"
    effect    = "Allow"
    actions   = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"]
    resources = [aws_sns_topic.oncall.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.oncall.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.oncall.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "oncall" {
  arn    = aws_sns_topic.oncall.arn
  policy = data.aws_iam_policy_document.oncall.json
}

resource "aws_sns_topic_subscription" "oncall" {
  for_each = toset(var.oncall_https_endpoints)

  topic_arn = aws_sns_topic.oncall.arn
  protocol  = "https"
  endpoint  = each.value
}

################################################################################
# A results topic owned by the platform (e.g. shared by several producers of notices)
################################################################################

resource "aws_sns_topic" "results" {
  name              = "${local.name}-job-results"
  kms_master_key_id = aws_kms_key.this.arn
}

################################################################################
# The module, with the key and the topics passed in
################################################################################

# Every ARN below is unknown until apply (the key and topics are created in this same apply): the
# module decides what to create from booleans only, so this plans in one pass. No module-level
# depends_on: it would defer every data source inside the module to apply.
module "bedrock_jobs" {
  source = "../../"

  name = local.name

  kms_key_arn = aws_kms_key.this.arn

  alarm_create_topic      = false
  alarm_topic_arn         = aws_sns_topic.oncall.arn
  alarm_topic_kms_key_arn = aws_kms_key.this.arn

  results_topic_enabled     = true
  results_topic_create      = false
  results_topic_arn         = aws_sns_topic.results.arn
  results_topic_kms_key_arn = aws_kms_key.this.arn

  lambda_log_retention_in_days = 365

  jobs_table_deletion_protection_enabled = false
  bucket_force_destroy                   = true
}
