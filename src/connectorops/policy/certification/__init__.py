"""Offline certification: Microsoft's connector certification rules as pure functions + enforcement.

certify.py runs them (`certify_document`, `certify_connector`); findings.py is what they find, importable
without the rules, policies and spec models (plans and reports hold findings).
"""
