"""Policies kept in git and enforced by the engine: sharing (who gets which role) and certification.

`connectorops.policy.sharing` and `connectorops.policy.certification.certify` are the public modules.
"""
