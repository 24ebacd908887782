"""Tests of the Azure check modules, one file per module of checks/azure."""
