"""Certification rules on the words users see: title, description, summaries, descriptions.

Limits quote Microsoft's "certification-submission" requirements (reference §4).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from connectorops.errors import Severity
from connectorops.policy.certification.subject import CertificationSubject, Hit, Rule, operations, parameters

TITLE_MAX = 30
DESCRIPTION_MIN, DESCRIPTION_MAX = 30, 500
SUMMARY_MAX = 80
# Power Platform product names (the Learn page later adds Copilot Studio); matched as whole words.
PRODUCT_NAMES = (
    "Power Apps",
    "PowerApps",
    "Power Automate",
    "Power BI",
    "Power Pages",
    "Power Platform",
    "Power Virtual Agents",
    "Copilot Studio",
    "Dataverse",
)
TITLE_BANNED_WORDS = ("API", "Connector", *PRODUCT_NAMES)
# Descriptions are sentences: they end with . ! or ? (optionally inside quotes or brackets).
SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
# "only alphanumeric characters or parentheses" (plus the spaces between words)
SUMMARY_ALLOWED = re.compile(r"[^\W_]|[ ()]")


def _banned_in(text: str, words: tuple[str, ...]) -> list[str]:
    return [w for w in words if re.search(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])", text, re.IGNORECASE)]


def check_title_missing(s: CertificationSubject) -> Iterator[Hit]:
    if not (s.title or "").strip():
        yield Hit("/info/title", "the connector has no title")


def check_title_too_long(s: CertificationSubject) -> Iterator[Hit]:
    title = s.title or ""
    if len(title) > TITLE_MAX:
        yield Hit("/info/title", f"title {title!r} has {len(title)} characters; at most {TITLE_MAX} are allowed")


def check_restricted_words(s: CertificationSubject) -> Iterator[Hit]:
    banned = _banned_in(s.title or "", TITLE_BANNED_WORDS)
    if banned:
        yield Hit("/info/title", f"title {s.title!r} contains {', '.join(repr(b) for b in banned)}")
    products = _banned_in(s.info_description or "", PRODUCT_NAMES)
    if products:
        yield Hit(
            "/info/description",
            f"description names the product(s) {', '.join(repr(p) for p in products)}",
            hint="describe what your service does, without Microsoft product names",
        )


def check_title_ends_alphanumeric(s: CertificationSubject) -> Iterator[Hit]:
    title = (s.title or "").rstrip()
    if title and not title[-1].isalnum():
        yield Hit("/info/title", f"title {title!r} ends with {title[-1]!r}")


def check_description_length(s: CertificationSubject) -> Iterator[Hit]:
    text = (s.info_description or "").strip()
    if not DESCRIPTION_MIN <= len(text) <= DESCRIPTION_MAX:
        yield Hit(
            "/info/description",
            f"description has {len(text)} characters; it needs {DESCRIPTION_MIN} to {DESCRIPTION_MAX}",
        )


def check_summary_missing(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        if not str(op.body.get("summary") or "").strip():
            yield Hit(op.pointer + "/summary", f"{op.label} has no summary")


def check_operation_description_missing(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        if not str(op.body.get("description") or "").strip():
            yield Hit(op.pointer + "/description", f"{op.label} has no description")


def _summaries(s: CertificationSubject) -> Iterator[tuple[str, str, str]]:
    """(pointer, owner label, text) of every operation summary and parameter x-ms-summary."""
    for op in operations(s.swagger):
        summary = op.body.get("summary")
        if isinstance(summary, str) and summary:
            yield op.pointer + "/summary", op.label, summary
        for param in parameters(s.swagger, op):
            text = param.body.get("x-ms-summary")
            if isinstance(text, str) and text:
                yield param.pointer + "/x-ms-summary", f"parameter {param.name!r} of {op.label}", text


def check_operation_summary_too_long(s: CertificationSubject) -> Iterator[Hit]:
    for pointer, owner, text in _summaries(s):
        if "/parameters/" not in pointer and len(text) > SUMMARY_MAX:
            yield Hit(pointer, f"summary of {owner} has {len(text)} characters; at most {SUMMARY_MAX}")


def check_parameter_summary_too_long(s: CertificationSubject) -> Iterator[Hit]:
    for pointer, owner, text in _summaries(s):
        if "/parameters/" in pointer and len(text) > SUMMARY_MAX:
            yield Hit(pointer, f"summary of {owner} has {len(text)} characters; at most {SUMMARY_MAX}")


def check_restricted_summary_characters(s: CertificationSubject) -> Iterator[Hit]:
    for pointer, owner, text in _summaries(s):
        bad = sorted({ch for ch in text if not SUMMARY_ALLOWED.fullmatch(ch)})
        if bad:
            yield Hit(pointer, f"summary of {owner} contains {' '.join(repr(c) for c in bad)}")


def check_descriptions_end_with_punctuation(s: CertificationSubject) -> Iterator[Hit]:
    info = (s.info_description or "").strip()
    if info and not SENTENCE_END.search(info):
        yield Hit("/info/description", "the connector description does not end with punctuation")
    for op in operations(s.swagger):
        text = str(op.body.get("description") or "").strip()
        if text and not SENTENCE_END.search(text):
            yield Hit(op.pointer + "/description", f"description of {op.label} does not end with punctuation")
        for param in parameters(s.swagger, op):
            text = str(param.body.get("description") or "").strip()
            if text and not SENTENCE_END.search(text):
                yield Hit(
                    param.pointer + "/description",
                    f"description of parameter {param.name!r} of {op.label} does not end with punctuation",
                )


def check_visibility(s: CertificationSubject) -> Iterator[Hit]:
    for op in operations(s.swagger):
        if "x-ms-visibility" not in op.body:
            yield Hit(op.pointer, f"{op.label} has no x-ms-visibility")


RULES = (
    Rule(
        "TitleMissing",
        Severity.ERROR,
        "The connector has a title.",
        "set spec.displayName in connector.yaml (or info.title)",
        check_title_missing,
    ),
    Rule(
        "TitleTooLong",
        Severity.ERROR,
        f"The title has at most {TITLE_MAX} characters.",
        f"shorten spec.displayName to {TITLE_MAX} characters or fewer: the name of your product or organization",
        check_title_too_long,
    ),
    Rule(
        "ValueContainsRestrictedWords",
        Severity.ERROR,
        "The title avoids 'API', 'Connector' and Power Platform product names; the description avoids product names.",
        "remove the word: the catalog already says it is a connector",
        check_restricted_words,
    ),
    Rule(
        "ValueMustEndWithAlphanumeric",
        Severity.ERROR,
        "The title ends with a letter or digit.",
        "drop the trailing punctuation from the title",
        check_title_ends_alphanumeric,
    ),
    Rule(
        "DescriptionLengthNotValid",
        Severity.ERROR,
        f"The description has {DESCRIPTION_MIN} to {DESCRIPTION_MAX} characters.",
        "set spec.description: a sentence or two on what the service does",
        check_description_length,
    ),
    Rule(
        "OperationSummaryMissing",
        Severity.ERROR,
        "Every operation has a summary.",
        "add `summary:` (a short phrase, shown as the action name)",
        check_summary_missing,
    ),
    Rule(
        "OperationDescriptionMissing",
        Severity.WARNING,
        "Every operation has a description.",
        "add `description:`: a full sentence on what the operation does",
        check_operation_description_missing,
    ),
    Rule(
        "OperationSummaryTooLong",
        Severity.WARNING,
        f"Operation summaries have at most {SUMMARY_MAX} characters.",
        "shorten the summary to a phrase; details belong in the description",
        check_operation_summary_too_long,
    ),
    Rule(
        "ParameterSummaryTooLong",
        Severity.WARNING,
        f"Parameter summaries (x-ms-summary) have at most {SUMMARY_MAX} characters.",
        "shorten x-ms-summary to a phrase; details belong in the description",
        check_parameter_summary_too_long,
    ),
    Rule(
        "RestrictedCharactersInSummary",
        Severity.WARNING,
        "Summaries contain only letters, digits, spaces and parentheses.",
        "rephrase without punctuation or symbols",
        check_restricted_summary_characters,
    ),
    Rule(
        "DescriptionMustEndWithPunctuation",
        Severity.WARNING,
        "Descriptions are full sentences ending in punctuation.",
        "end the description with '.', '!' or '?'",
        check_descriptions_end_with_punctuation,
    ),
    Rule(
        "VisibilityMissing",
        Severity.WARNING,
        "Every operation says its x-ms-visibility.",
        "add x-ms-visibility: important, advanced or internal",
        check_visibility,
    ),
)
