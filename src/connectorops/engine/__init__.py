"""The reconcile engine: observe what is deployed, plan the difference to git, apply it.

Pure planning (diff, breaking changes, impact, guards) is separate from the two modules that talk
to ARM through the gateway (observe, apply).
"""
