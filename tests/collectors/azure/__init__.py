"""Tests of the Azure collector, one file (or more, by aspect) per module of collectors/azure."""
