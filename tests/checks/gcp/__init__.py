"""Tests of the Google Cloud check modules, one file per module of checks/gcp."""
