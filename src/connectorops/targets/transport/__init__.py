"""The HTTP plumbing targets share (azure-core): pipeline, retries, credentials, ARM-style error envelopes.

No target's resources are named here: each target (targets/arm/, next Power Platform) builds its requests
on it.
"""
