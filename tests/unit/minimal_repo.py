"""The smallest valid repository: one connector (OpenAPI 2.0 + apiKey) on the local target.

CLI tests start from it and break one thing at a time.
"""

OPENAPI = """swagger: "2.0"
info: {title: Orders, version: "1.0", description: Orders API}
host: orders.contoso.com
basePath: /api
schemes: [https]
paths:
  /orders:
    get:
      operationId: ListOrders
      summary: List orders
      description: List orders
      responses: {"200": {description: OK}}
"""
CONNECTOR = """apiVersion: connectorops/v1
kind: Connector
metadata:
  name: orders
spec:
  definition:
    openapi: openapi.yaml
  auth:
    type: apiKey
    name: X-Key
"""
CONFIG = "default: local\nenvironments:\n  local: {target: local}\n"
