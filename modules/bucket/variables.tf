variable "bucket" {
  description = "Name of the bucket (globally unique, 3-63 lowercase characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket)) && !can(regex("\\.\\.|^xn--|-s3alias$|--ol-s3$", var.bucket))
    error_message = "bucket must be a valid S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds objects (and object versions)."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key ARN for SSE-KMS. null uses SSE-KMS with the AWS managed key `aws/s3`. An S3 Bucket Key is enabled either way to cut KMS request cost."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "versioning_enabled" {
  description = "Enable object versioning (protects against overwrites and deletes; noncurrent versions expire by lifecycle)."
  type        = bool
  default     = true
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1
    error_message = "abort_incomplete_multipart_upload_days must be at least 1."
  }
}

variable "lifecycle_rules" {
  description = "Per-prefix lifecycle rules: optional transition to another storage class, optional expiration. A prefix must end with `/`."
  type = list(object({
    id                       = string
    prefix                   = string
    transition_days          = optional(number)
    transition_storage_class = optional(string, "STANDARD_IA")
    expiration_days          = optional(number)
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : can(regex("^[A-Za-z0-9._-]{1,255}$", r.id)) && endswith(r.prefix, "/")])
    error_message = "Each lifecycle rule needs an id of letters, digits, dots, hyphens or underscores and a prefix ending with /."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], r.transition_storage_class)])
    error_message = "transition_storage_class must be STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }

  validation {
    # S3 rejects transitions to the IA classes earlier than 30 days after creation.
    condition     = alltrue([for r in var.lifecycle_rules : r.transition_days == null || try(r.transition_days >= (contains(["STANDARD_IA", "ONEZONE_IA"], r.transition_storage_class) ? 30 : 0), false)])
    error_message = "transition_days must be at least 30 for STANDARD_IA and ONEZONE_IA (an S3 limit)."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.expiration_days == null || try(r.expiration_days >= 1 && (r.transition_days == null || r.expiration_days > r.transition_days), false)])
    error_message = "expiration_days must be at least 1 and later than transition_days."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : r.transition_days != null || r.expiration_days != null])
    error_message = "Each lifecycle rule needs transition_days, expiration_days or both."
  }
}

variable "eventbridge_notifications_enabled" {
  description = "Send this bucket's events to Amazon EventBridge (`aws_s3_bucket_notification { eventbridge = true }`). This resource owns the bucket's whole notification configuration."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}
