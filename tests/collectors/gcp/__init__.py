"""Tests of the Google Cloud collector, one file (or more, by aspect) per module of collectors/gcp."""
