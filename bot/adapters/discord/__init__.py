"""The Discord platform (discord.py); the only package that imports `discord`."""
