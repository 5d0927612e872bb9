terraform {
  # Cross-variable references inside `validation` blocks (e.g. the queue visibility timeout checked
  # against the consumer timeout) need Terraform 1.9.
  required_version = ">= 1.9"

  # Floors are the lowest releases with every argument this module uses, checked by validating the
  # module against that release's schema (tests/terraform_offline): aws 6.28 added
  # aws_lambda_permission.invoked_via_function_url; archive 2.5 added glob patterns in `excludes` and
  # 2.7 took the deprecation off the archive_file resource that builds the Lambda package at apply.
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.28, < 7.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.7"
    }
  }
}
