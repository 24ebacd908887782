"""Tests of the check modules, one file per cloud service family."""
