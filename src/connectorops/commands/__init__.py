"""The imperative shell behind each CLI command: load, call the core, print, return an exit code.

One module per command; `cli.py` only parses arguments and dispatches here.
"""
