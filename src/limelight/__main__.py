"""`python -m limelight` runs the command line."""

from limelight.cli import main

main()
