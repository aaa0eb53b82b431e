"""A document that passes every certification rule, and icons drawn with Pillow, for the rule tests."""

from __future__ import annotations

import copy
import io
from typing import Any

from PIL import Image, ImageDraw

from connectorops.policy.certification.certify import Finding, certify_document

BRAND = "#0F6CBD"

GOOD_SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {
        "title": "Contoso Orders",
        "description": "Create, read and track Contoso sales orders.",
        "version": "1.0",
    },
    "host": "orders.contoso.com",
    "basePath": "/api",
    "schemes": ["https"],
    "consumes": ["application/json"],
    "produces": ["application/json"],
    "paths": {
        "/orders/{id}": {
            "get": {
                "operationId": "GetOrder",
                "summary": "Get an order",
                "description": "Returns one order by its id.",
                "x-ms-visibility": "important",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "type": "string",
                        "x-ms-summary": "Order ID",
                        "description": "The id of the order.",
                        "x-ms-url-encoding": "single",
                    }
                ],
                "responses": {
                    "200": {"description": "The order.", "schema": {"$ref": "#/definitions/Order"}},
                    "default": {"description": "Something went wrong."},
                },
            }
        },
        "/orders": {
            "post": {
                "operationId": "CreateOrder",
                "summary": "Create an order (draft)",
                "description": "Creates a draft order.",
                "x-ms-visibility": "important",
                "parameters": [{"$ref": "#/parameters/OrderBody"}],
                "responses": {"201": {"description": "Created.", "schema": {"type": "object"}}},
            }
        },
    },
    "parameters": {
        "OrderBody": {"name": "body", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Order"}}
    },
    "definitions": {"Order": {"type": "object", "properties": {"id": {"type": "string"}}}},
    "x-ms-connector-metadata": [
        {"propertyName": "Website", "propertyValue": "https://contoso.com"},
        {"propertyName": "Privacy policy", "propertyValue": "https://contoso.com/privacy"},
        {"propertyName": "Categories", "propertyValue": "Sales and CRM;Productivity"},
    ],
}

GOOD_OAUTH = {
    "token": {
        "type": "oauthSetting",
        "oAuthSettings": {
            "identityProvider": "oauth2",
            "clientId": "abc",
            "redirectUrl": "https://global.consent.azure-apim.net/redirect",
        },
    }
}


def icon(
    size: tuple[int, int] = (230, 230), background: tuple[int, ...] = (15, 108, 189, 255), fmt: str = "PNG"
) -> bytes:
    """A square of `background` with a white logo in the middle (like a real connector icon)."""
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.new(mode, size, background if mode == "RGBA" else background[:3])
    w, h = size
    ImageDraw.Draw(image).ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


GOOD_ICON = icon()


def good() -> dict[str, Any]:
    return copy.deepcopy(GOOD_SWAGGER)


def run(swagger: dict[str, Any] | None = None, **overrides: Any) -> list[Finding]:
    options: dict[str, Any] = {
        "display_name": None,
        "description": None,
        "brand_color": BRAND,
        "icon_png": GOOD_ICON,
        "connection_parameters": GOOD_OAUTH,
        "file": "connectors/orders/openapi.yaml",
    }
    options.update(overrides)
    return certify_document(good() if swagger is None else swagger, **options)


def rule_ids(findings: list[Finding]) -> set[str]:
    return {f.rule_id for f in findings}
