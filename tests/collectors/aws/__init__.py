"""Tests of the AWS collector, one file (or more, by aspect) per module of collectors/aws."""
