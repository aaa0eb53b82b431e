"""Definition sources -> one normalized OpenAPI 2.0 document per connector.

The entry point: `resolve_definition(connector, tree, environment, *, cache_dir=None,
allow_private_urls=False)` in `connectorops.definitions.resolve` returns a `ResolvedDefinition`.
"""
