"""`python -m cspm_ai` runs the CLI."""

from cspm_ai.cli import main

main()
