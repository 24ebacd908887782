"""AWS checks: SageMaker and the IAM, keys, storage, networks and logging around it."""
