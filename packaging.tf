################################################################################
# Lambda package: built by Terraform, no manual step
################################################################################

# One zip with the `bedrock_jobs` package serves all three functions (they differ only by handler).
# boto3 comes with the runtime and Powertools with AWS's public layer, so the zip carries our code
# only. The zip is written under the root module's .build/ directory (git-ignored) rather than into
# the module source, which may be a read-only checkout under .terraform/modules.
data "archive_file" "functions" {
  type        = "zip"
  source_dir  = "${path.module}/functions"
  output_path = "${path.root}/.build/${var.name}-functions.zip"

  # Fixed permissions keep the hash, and so the deployed code, independent of the local umask.
  output_file_mode = "0644"

  excludes = [
    "**/__pycache__",
    "**/__pycache__/**",
    "**/*.pyc",
    "**/.pytest_cache/**",
    "**/.DS_Store",
  ]
}

locals {
  package_filename         = data.archive_file.functions.output_path
  package_source_code_hash = data.archive_file.functions.output_base64sha256
}
