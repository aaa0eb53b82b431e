"""Definition sources -> one normalized OpenAPI 2.0 document per connector.

CONTRACT: `resolve_definition(connector, tree, environment, *, settings)` in
`connectorops.definitions.resolve` returns a `ResolvedDefinition`.
"""
