"""`python -m limelight` runs the command line."""

from limelight.cli import main

if __name__ == "__main__":  # not when a worker process imports the main module
    main()
