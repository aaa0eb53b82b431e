"""The gateway: the only code that talks to ARM (Azure or the local emulator).

The same client serves both; only base URL, credential and CA bundle differ (azure/connect.py).
"""
