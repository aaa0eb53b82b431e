"""The Pulumi program behind infra/__main__.py: the engine's desired state as azure-native resources.

Importable and typed so it can be tested under `pulumi.runtime.set_mocks`; infra/ stays thin.
"""
