"""Tests of the check modules: tests/checks/<provider>/test_<module>.py for checks/<provider>/<module>.py.

Tests about no single module (robustness across every AWS check, the mirror itself) and the shared
support (conftest.py for AWS and the case plumbing, azure_support.py, gcp_support.py) sit here.
"""
