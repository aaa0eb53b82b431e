"""The gateway: the only code that talks to ARM (Azure or the local emulator)."""
