"""``bedrock-jobs``: the operator CLI for a deployed bedrock-jobs stack (SPEC "Operator CLI")."""
