variable "region" {
  description = "AWS region to deploy into: one where batch inference supports the US Nova Lite profile (us-east-1, us-east-2 or us-west-2)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = contains(["us-east-1", "us-east-2", "us-west-2"], var.region)
    error_message = "The us.amazon.nova-lite-v1:0 profile supports batch inference in us-east-1, us-east-2 and us-west-2 only."
  }
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alerts topic (each must confirm the subscription)."
  type        = list(string)
  default     = []
}
