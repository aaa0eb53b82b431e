"""Certification rules on connector metadata: x-ms-connector-metadata, icon, brand colour, OAuth.

The category list is Microsoft's fixed list of 19 (see CATEGORIES for the source).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from connectorops.errors import Severity
from connectorops.policy.certification.icon import color_distance, hex_color, inspect_icon, parse_hex_color
from connectorops.policy.certification.subject import CertificationSubject, Hit, Rule

# From Learn "certification-submission" (x-ms-connector-metadata, Categories). 18 of the 19 names
# are confirmed by Microsoft's own connectors in shared/corpus; "Commerce" is taken from the doc
# page as we remember it and could not be re-checked offline (docs/policies.md says so).
CATEGORIES = (
    "AI",
    "Business Management",
    "Business Intelligence",
    "Collaboration",
    "Commerce",
    "Communication",
    "Content and Files",
    "Data",
    "Finance",
    "Human Resources",
    "Internet of Things",
    "IT Operations",
    "Lifestyle and Entertainment",
    "Marketing",
    "Productivity",
    "Sales and CRM",
    "Security",
    "Social Media",
    "Website",
)
MAX_CATEGORIES = 2
REQUIRED_METADATA = ("Website", "Privacy policy", "Categories")
DEFAULT_BRAND_COLOR = "#007ee5"  # the portal's default: certification asks for your own
ICON_SIDE, ICON_TOLERANCE = 230, 0.15  # "approximately 230 x 230"
WHITE_MIN = 245  # every channel at least this: reads as white
NEAR = 20.0  # RGB distance: "the same colour" for #007ee5 checks
BRAND_MATCH = 40.0  # RGB distance allowed between the icon background and brandColor
# API Management's consent redirect: global (Power Platform) or a region's Logic Apps one (ARM customApis).
CONSENT_REDIRECT = re.compile(
    r"^https://(global|global-test|logic-apis-[a-z0-9]+)\.consent\.azure-apim\.net/redirect", re.IGNORECASE
)


def _metadata(s: CertificationSubject) -> tuple[dict[str, tuple[int, Any]], bool]:
    """propertyName (lowercased) -> (index, propertyValue); and whether the extension exists at all."""
    entries = s.swagger.get("x-ms-connector-metadata")
    if not isinstance(entries, list):
        return {}, False
    found: dict[str, tuple[int, Any]] = {}
    for index, entry in enumerate(entries):
        if isinstance(entry, dict) and isinstance(entry.get("propertyName"), str):
            found.setdefault(entry["propertyName"].strip().lower(), (index, entry.get("propertyValue")))
    return found, True


def _categories(s: CertificationSubject) -> tuple[str, list[str]] | None:
    found, _ = _metadata(s)
    if "categories" not in found:
        return None
    index, value = found["categories"]
    names = [part.strip() for part in str(value or "").split(";") if part.strip()]
    return f"/x-ms-connector-metadata/{index}/propertyValue", names


def check_metadata_present(s: CertificationSubject) -> Iterator[Hit]:
    found, exists = _metadata(s)
    if not exists:
        yield Hit("/x-ms-connector-metadata", "x-ms-connector-metadata is missing")
        return
    for name in REQUIRED_METADATA:
        value = found.get(name.lower())
        if value is None or not str(value[1] or "").strip():
            yield Hit("/x-ms-connector-metadata", f"x-ms-connector-metadata has no {name!r}")


def check_category_names(s: CertificationSubject) -> Iterator[Hit]:
    located = _categories(s)
    if located is None:
        return
    pointer, names = located
    known = {c.lower(): c for c in CATEGORIES}
    for name in names:
        if name.lower() not in known:
            yield Hit(pointer, f"category {name!r} is not one of Microsoft's categories")


def check_category_count(s: CertificationSubject) -> Iterator[Hit]:
    located = _categories(s)
    if located is not None and len(located[1]) > MAX_CATEGORIES:
        yield Hit(located[0], f"{len(located[1])} categories given; at most {MAX_CATEGORIES}")


def check_brand_color(s: CertificationSubject) -> Iterator[Hit]:
    if s.brand_color is None:
        yield Hit("", "no brand colour is set (the portal falls back to #007ee5)")
        return
    rgb = parse_hex_color(s.brand_color)
    if rgb is None:
        yield Hit("", f"brand colour {s.brand_color!r} is not a #RRGGBB colour")
    elif color_distance(rgb, (255, 255, 255)) < 1:
        yield Hit("", "brand colour #ffffff (white) is not allowed")
    elif rgb == parse_hex_color(DEFAULT_BRAND_COLOR):
        yield Hit("", f"brand colour {DEFAULT_BRAND_COLOR} is the portal default; use your brand's colour")


def check_icon_missing(s: CertificationSubject) -> Iterator[Hit]:
    if s.icon_png is None:
        yield Hit("", "the connector has no icon")


def check_icon_format(s: CertificationSubject) -> Iterator[Hit]:
    if s.icon_png is None:
        return
    facts = inspect_icon(s.icon_png)
    if facts.error and facts.format is None:
        yield Hit("", f"icon is {facts.error}")
    elif facts.format != "PNG":
        yield Hit("", f"icon is {facts.format}, not PNG")


def check_icon_size(s: CertificationSubject) -> Iterator[Hit]:
    if s.icon_png is None:
        return
    facts = inspect_icon(s.icon_png)
    if facts.format is None:
        return  # IconNotPng reports unreadable files
    low, high = ICON_SIDE * (1 - ICON_TOLERANCE), ICON_SIDE * (1 + ICON_TOLERANCE)
    if facts.width != facts.height or not (low <= facts.width <= high):
        yield Hit("", f"icon is {facts.width}x{facts.height}; it should be square, about {ICON_SIDE}x{ICON_SIDE}")


def check_icon_background(s: CertificationSubject) -> Iterator[Hit]:
    if s.icon_png is None:
        return
    facts = inspect_icon(s.icon_png)
    if not facts.corners:
        return
    if facts.transparent:
        yield Hit("", "icon background is transparent")
        return
    background = facts.background
    if background is None:
        yield Hit("", "icon corners differ: the logo should sit on one solid background colour")
    elif min(background) >= WHITE_MIN:
        yield Hit("", f"icon background {hex_color(background)} is white")
    elif color_distance(background, parse_hex_color(DEFAULT_BRAND_COLOR) or (0, 0, 0)) < NEAR:
        yield Hit("", f"icon background {hex_color(background)} is the portal default {DEFAULT_BRAND_COLOR}")


def check_icon_matches_brand(s: CertificationSubject) -> Iterator[Hit]:
    if s.icon_png is None or s.brand_color is None:
        return
    brand = parse_hex_color(s.brand_color)
    facts = inspect_icon(s.icon_png)
    background = facts.background if facts.corners and not facts.transparent else None
    if brand is not None and background is not None and color_distance(brand, background) > BRAND_MATCH:
        yield Hit("", f"icon background {hex_color(background)} does not match brand colour {s.brand_color}")


def _oauth_settings(parameters: dict[str, Any] | None) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, parameter in (parameters or {}).items():
        if isinstance(parameter, dict) and parameter.get("type") == "oauthSetting":
            settings = parameter.get("oAuthSettings")
            if isinstance(settings, dict):
                yield str(name), settings


def check_oauth_redirect(s: CertificationSubject) -> Iterator[Hit]:
    for name, settings in _oauth_settings(s.connection_parameters):
        url = settings.get("redirectUrl")
        pointer = f"#connectionParameters/{name}/oAuthSettings/redirectUrl"
        if url is None:
            continue  # the platform fills in its own global redirect URL
        if not isinstance(url, str) or not CONSENT_REDIRECT.match(url):
            yield Hit(pointer, f"OAuth redirect URL {url!r} is not the API Management consent redirect")


RULES = (
    Rule(
        "ConnectorMetadataMissing",
        Severity.ERROR,
        "x-ms-connector-metadata has Website, Privacy policy and Categories.",
        "add x-ms-connector-metadata entries {propertyName, propertyValue} for Website, Privacy policy, Categories",
        check_metadata_present,
    ),
    Rule(
        "InvalidConnectorCategory",
        Severity.ERROR,
        "Categories come from Microsoft's fixed list.",
        "use: " + "; ".join(CATEGORIES),
        check_category_names,
    ),
    Rule(
        "TooManyConnectorCategories",
        Severity.ERROR,
        f"At most {MAX_CATEGORIES} categories, separated by ';'.",
        f"keep the {MAX_CATEGORIES} categories that fit best",
        check_category_count,
    ),
    Rule(
        "BrandColorNotValid",
        Severity.ERROR,
        "brandColor is set, and is neither white nor the portal default #007ee5.",
        'set spec.brandColor to your icon\'s background colour, e.g. "#0F6CBD"',
        check_brand_color,
    ),
    Rule(
        "IconMissing",
        Severity.WARNING,
        "The connector has an icon (verified publishers).",
        "add icon.png and spec.icon: icon.png (independent publishers submit none)",
        check_icon_missing,
    ),
    Rule("IconNotPng", Severity.ERROR, "The icon is a PNG file.", "save the icon as PNG (icon.png)", check_icon_format),
    Rule(
        "IconSizeNotValid",
        Severity.ERROR,
        f"The icon is square, about {ICON_SIDE}x{ICON_SIDE} pixels.",
        "a logo of about 160x160 inside a 230x230 square, no rounded edges",
        check_icon_size,
    ),
    Rule(
        "IconBackgroundNotValid",
        Severity.ERROR,
        "The icon background is one solid colour: not transparent, not white, not #007ee5.",
        "fill the square behind the logo with your brand colour",
        check_icon_background,
    ),
    Rule(
        "IconBrandColorMismatch",
        Severity.ERROR,
        "The icon background matches brandColor.",
        "set spec.brandColor to the icon's background colour (or recolour the icon)",
        check_icon_matches_brand,
    ),
    Rule(
        "OAuthRedirectUrlNotValid",
        Severity.ERROR,
        "OAuth redirect URLs are the API Management consent redirect.",
        "register https://global.consent.azure-apim.net/redirect (and the global-test one) with your identity provider",
        check_oauth_redirect,
    ),
)
