################################################################################
# Lambda package: built by Terraform, no manual step, and safe to plan and apply in separate jobs
################################################################################

# One zip with the `bedrock_jobs` package serves all three functions (they differ only by handler).
# boto3 comes with the runtime and Powertools with AWS's public layer, so the zip carries our code
# only.
#
# A saved plan must apply in a fresh checkout (CI systems plan and apply in separate jobs), so nothing
# the apply needs may exist only in the planning job's working directory:
# - the package version is a hash of the source files, known at plan in any checkout of the same commit;
# - the zip is an archive_file *resource*, built during apply whenever that hash changes (its output
#   path carries the hash), then uploaded to the payload bucket under a key that carries the hash too;
# - the functions deploy from that S3 object, so creating or replacing a function later, with unchanged
#   code, never needs a local file.
locals {
  package_source_dir = "${path.module}/functions"
  # Same exclusions as the archive below: bytecode and tool caches are not part of the package.
  package_source_files = sort([
    for f in fileset(local.package_source_dir, "**") : f
    if !can(regex("(^|/)(__pycache__|\\.pytest_cache)(/|$)|\\.pyc$|(^|/)\\.DS_Store$", f))
  ])
  package_source_hash = sha256(join("\n", [
    for f in local.package_source_files : "${f} ${filesha256("${local.package_source_dir}/${f}")}"
  ]))
  package_version = substr(local.package_source_hash, 0, 16)

  package_s3_key = "${local.packages_prefix}${var.name}-functions-${local.package_version}.zip"
  # Lambda's source_code_hash is a trigger for code updates (a "virtual" attribute in aws provider 6.x):
  # the source hash changes exactly when the package content does.
  package_source_code_hash = base64sha256(local.package_source_hash)
}

resource "archive_file" "functions" {
  type       = "zip"
  source_dir = local.package_source_dir
  # One file per instance (name and region), so that instances in one stack never write the same path.
  output_path = "${path.root}/.build/${var.name}-${local.region}-functions-${local.package_version}.zip"

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

resource "aws_s3_object" "package" {
  # checkov:skip=CKV_AWS_186:The object takes the bucket's default encryption (kms_key_arn when set, SSE-S3 otherwise).
  bucket = module.payload_bucket.bucket_id
  key    = local.package_s3_key
  source = archive_file.functions.output_path
  # Known at plan (unlike a hash of the zip, which exists only once the archive is built).
  source_hash = local.package_source_hash

  tags = var.tags

  lifecycle {
    # The functions keep pointing at the old key until they are updated to the new one.
    create_before_destroy = true
  }
}
