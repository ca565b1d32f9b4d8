# The adapter package first: it imports discord.py without its audioop deprecation warning.
import bot.adapters.discord  # noqa: F401
