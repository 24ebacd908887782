"""cspm-ai: live cloud security posture auditor for AI workloads."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cspm-ai")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
