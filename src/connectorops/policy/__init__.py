"""Policies kept in git and enforced by the engine: sharing (who gets which role) and certification.

`connectorops.policy.sharing` and `connectorops.policy.certification` are the public modules.
"""
