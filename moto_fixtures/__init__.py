"""Realistic AI estates in moto for cspm-ai's tests, demo and benchmark (see the submodules)."""

# The submodules are imported explicitly (moto_fixtures.estate, .extensions, .bulk, .server)
# so that importing the package never pulls in moto or boto3 by itself.
__all__ = ["bulk", "estate", "extensions", "server"]
