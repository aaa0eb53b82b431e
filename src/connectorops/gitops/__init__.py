"""Git awareness: desired state at any revision, the workspace of a watched remote, and the controller loop.

Only this package talks to git.
"""
