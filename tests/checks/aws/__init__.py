"""Tests of the AWS check modules, one file per module of checks/aws."""
