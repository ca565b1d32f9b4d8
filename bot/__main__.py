"""`python -m bot`: the same command line as the `chorus` console script."""

from bot.cli import main

if __name__ == "__main__":
    main()
