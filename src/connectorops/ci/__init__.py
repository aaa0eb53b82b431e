"""Helpers the GitHub workflows call: which environments CI plans, deploys and watches.

Kept in the package (not inline shell) so the workflows stay short and the logic is tested.
"""
