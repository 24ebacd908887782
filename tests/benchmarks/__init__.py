"""Tests of the benchmarks package's own measuring code; benchmarks themselves never run in the suite."""
