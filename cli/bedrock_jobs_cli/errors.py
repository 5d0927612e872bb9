"""Errors the CLI reports on stderr with exit status 1 (never as a traceback)."""

from __future__ import annotations


class CliError(Exception):
    """A command failed: an AWS error, a job that does not exist, a stack that cannot be found, …"""
