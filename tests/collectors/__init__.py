"""Tests of the collectors: tests/collectors/[<cloud>/]test_<module>.py for collectors/[<cloud>/]<module>.py.

Beside a module's test file, test_<module>_<aspect>.py files test one aspect of it (faults, recorded answers).
"""
