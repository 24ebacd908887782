"""Tests of the moto_fixtures package: extensions, estate builders and the fault-injecting server."""
