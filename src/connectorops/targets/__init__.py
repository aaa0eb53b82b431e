"""Targets: one package per place connectors can live, each implementing engine/target.py's protocol."""
