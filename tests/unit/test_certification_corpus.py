"""Certification over Microsoft's real connectors (shared/corpus/powerplatformconnectors).

Expected findings were read off the files by hand (titles, hosts, metadata, MIME types);
a change to a rule that moves them shows up here as a named connector, not a count.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from connectorops.policy.certification.certify import Finding, certify_document

CORPUS = Path("/work/shared/corpus/powerplatformconnectors")
# Shipped broken upstream (a missing comma each): real bad input, not our parser's fault.
BROKEN_JSON = {"IN-D Invoice Data Capture", "ZohoSign", "AccuWeather"}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not available")


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _certify(folder: Path) -> list[Finding]:
    swagger = _load(folder / "apiDefinition.swagger.json")
    props = _load(folder / "apiProperties.json").get("properties", {})
    icon = folder / "icon.png"
    return certify_document(
        swagger,
        display_name=None,
        description=None,
        brand_color=props.get("iconBrandColor"),
        icon_png=icon.read_bytes() if icon.exists() else None,
        connection_parameters=props.get("connectionParameters"),
        file=str(folder.relative_to(CORPUS) / "apiDefinition.swagger.json"),
    )


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[Finding]]:
    results: dict[str, list[Finding]] = {}
    for folder in sorted(p.parent for p in CORPUS.glob("*/*/apiDefinition.swagger.json")):
        if folder.name in BROKEN_JSON:
            continue
        # Mensagia exists twice (certified and independent publisher): keep both
        key = folder.name if folder.name not in results else f"{folder.parent.name}/{folder.name}"
        results[key] = _certify(folder)
    return results


def connectors_with(corpus: dict[str, list[Finding]], rule_id: str) -> set[str]:
    return {name for name, findings in corpus.items() if any(f.rule_id == rule_id for f in findings)}


def pointers(corpus: dict[str, list[Finding]], name: str, rule_id: str) -> set[str]:
    return {f.pointer for f in corpus[name] if f.rule_id == rule_id}


def test_broken_files_really_are_not_json() -> None:
    for folder in sorted(CORPUS.glob("*/*")):
        if folder.name in BROKEN_JSON:
            with pytest.raises(json.JSONDecodeError):
                _load(folder / "apiDefinition.swagger.json")


def test_every_readable_connector_was_certified(corpus: dict[str, list[Finding]]) -> None:
    assert len(corpus) == 69  # 72 folders minus the three broken ones


def test_titles_over_30_characters(corpus: dict[str, list[Finding]]) -> None:
    # "Azure AD authentication methods" is 31 characters.
    assert connectors_with(corpus, "TitleTooLong") == {"AzureADPhoneMethods"}


def test_restricted_words_and_title_endings(corpus: dict[str, list[Finding]]) -> None:
    assert connectors_with(corpus, "ValueContainsRestrictedWords") == {"CardsForPowerApps", "Sparse Power Box Tools"}
    assert pointers(corpus, "CardsForPowerApps", "ValueContainsRestrictedWords") == {"/info/title"}
    assert pointers(corpus, "Sparse Power Box Tools", "ValueContainsRestrictedWords") == {"/info/description"}
    assert connectors_with(corpus, "ValueMustEndWithAlphanumeric") == {"Asite (KSA)"}


def test_non_production_hosts(corpus: dict[str, list[Finding]]) -> None:
    # api.demo.bloomflow.com, sm.uat.ortitletech.com, demo.api.iobeya.com. Not flagged on purpose:
    # api.powerbox.bysparse.dev (.dev is a production TLD) and developer-api.govee.com.
    assert connectors_with(corpus, "HostNotProduction") == {"Bloomflow", "RamQuest Actions - UAT", "iObeya"}
    assert connectors_with(corpus, "HostNameNotValid") == set()


def test_connectors_without_connector_metadata(corpus: dict[str, list[Finding]]) -> None:
    assert connectors_with(corpus, "ConnectorMetadataMissing") == {
        "Cloudmersive Virus Scan",
        "D7SMS",
        "Pushcut",
        "Solyp",
        "AzureADPhoneMethods",
    }
    # Every connector that has categories uses Microsoft's names, at most two of them.
    assert connectors_with(corpus, "InvalidConnectorCategory") == set()
    assert connectors_with(corpus, "TooManyConnectorCategories") == set()


def test_mime_types_outside_the_allowed_four(corpus: dict[str, list[Finding]]) -> None:
    assert connectors_with(corpus, "MimeTypeNotValid") == {
        "CardsForPowerApps",
        "Cloudmersive Virus Scan",
        "Impower",
        "PDFcross",
        "Referoo",
    }
    assert "/paths/~1merge/post/produces/0" in pointers(corpus, "PDFcross", "MimeTypeNotValid")  # application/pdf


def test_operations_without_summary_or_description(corpus: dict[str, list[Finding]]) -> None:
    # Every readable corpus operation has a summary; three lack a description.
    assert connectors_with(corpus, "OperationSummaryMissing") == set()
    assert pointers(corpus, "COSMO Bot", "OperationDescriptionMissing") == {
        "/paths/~1global-settings~1schema/get/description",
        "/paths/~1webhooks~1{id}/delete/description",
    }
    assert pointers(corpus, "ForceManager CRM", "OperationDescriptionMissing") == {
        "/paths/~1procedure~1zapier_schema/post/description"
    }


def test_default_responses_with_schemas(corpus: dict[str, list[Finding]]) -> None:
    assert pointers(corpus, "Pushcut", "DefaultResponseHasSchema") == {
        "/paths/~1notifications~1{notificationName}/post/responses/default/schema",
        "/paths/~1subscriptions/post/responses/default/schema",
        "/paths/~1subscriptions~1{subscriptionId}/delete/responses/default/schema",
    }


def test_oauth_connectors_use_the_consent_redirect(corpus: dict[str, list[Finding]]) -> None:
    assert connectors_with(corpus, "OAuthRedirectUrlNotValid") == set()


def test_no_corpus_folder_ships_an_icon(corpus: dict[str, list[Finding]]) -> None:
    assert connectors_with(corpus, "IconMissing") == set(corpus)


def test_findings_per_rule_summary(corpus: dict[str, list[Finding]]) -> None:
    counts: dict[str, int] = defaultdict(int)
    for findings in corpus.values():
        for finding in findings:
            counts[finding.rule_id] += 1
    print("\ncertification findings over the corpus:", dict(sorted(counts.items())))
    # each readable connector is judged on its own file only
    assert all(f.file.endswith("apiDefinition.swagger.json") for fs in corpus.values() for f in fs)
