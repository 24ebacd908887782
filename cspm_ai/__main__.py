"""`python -m cspm_ai` runs the CLI."""

from cspm_ai.cli import main

main()  # main() exits with the command's code
