"""The local ARM emulator: Azure Resource Manager's REST surface over HTTPS, with SQLite state.

Entry point: `connectorops.emulator.server.EmulatorServer`.
"""
