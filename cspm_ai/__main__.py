"""`python -m cspm_ai` runs the CLI."""

from cspm_ai.cli import run

run()  # exits with the command's code
