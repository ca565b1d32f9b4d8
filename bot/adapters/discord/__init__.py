"""The Discord platform (discord.py); the only package that imports `discord`."""

import warnings

with warnings.catch_warnings():
    # discord.py 2.7 imports the standard library's audioop (deprecated since Python 3.11,
    # gone in 3.13) for voice, which Chorus never uses; warnings-as-errors would stop here.
    warnings.filterwarnings(
        "ignore", message="'audioop' is deprecated", category=DeprecationWarning
    )
    import discord  # noqa: F401
