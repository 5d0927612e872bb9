variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}
