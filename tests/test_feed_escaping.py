"""The Atom feed carries what the desk and claimants wrote as text, never as markup."""

from __future__ import annotations

import feedparser
import pytest
from lxml import etree

from claims.models import Claim, Verdict
from claims.review import workflow

from .factories import ClaimantFactory, ClaimFactory, add_verdict_draft, advance

pytestmark = pytest.mark.django_db

ATOM = "http://www.w3.org/2005/Atom"
# Attributes Atom (RFC 4287) gives the elements this feed writes.
ATOM_ATTRIBUTES = {"href", "rel", "type", "term", "length", "{http://www.w3.org/XML/1998/namespace}lang"}

PAYLOADS = [
    '"><img src=x onerror=alert(1)>',
    "<script>alert(1)</script>",
    "]]>",
    "&amp;",
    "Fish & chips",
]
PAYLOAD = " ".join(PAYLOADS)


@pytest.fixture
def corrected(editor, reviewer, default_scale):
    """A fact-check published, then corrected, with a payload in every text the desk or a claimant wrote."""
    claim = ClaimFactory(text=f"The mayor said {PAYLOAD}", claimant=ClaimantFactory(name=f"Mayor {PAYLOAD}"))
    add_verdict_draft(claim, reviewer, headline=f"Headline {PAYLOAD}", summary=PAYLOAD, explanation=PAYLOAD)
    advance(claim, Claim.Status.PUBLISHED, editor, reviewer)
    workflow.correct(claim.pk, by=editor, note="internal: fix the figure")
    claim.verdicts.filter(status=Verdict.Status.DRAFT).update(correction_note=f"We fixed it {PAYLOAD}")
    workflow.submit(claim.pk, by=reviewer)
    workflow.approve(claim.pk, by=editor)
    return Verdict.objects.published().get(claim=claim)


def strict_parse(content: bytes) -> etree._Element:
    """Well-formed XML or an exception; no DTD, no entities resolved, no network."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=False)
    root = etree.fromstring(content, parser)
    assert root.getroottree().docinfo.doctype == ""
    return root


def assert_only_atom(root: etree._Element) -> None:
    for element in root.iter():
        assert isinstance(element.tag, str), f"not an element: {element!r}"  # no comments, PIs or entities
        namespace, _, name = element.tag[1:].partition("}")
        assert namespace == ATOM, f"non-Atom element {element.tag}"
        assert name not in {"img", "script"}
        for attribute in element.attrib:
            assert attribute in ATOM_ATTRIBUTES, f"unexpected attribute {attribute} on {name}"


def test_feed_summary_and_title_are_plain_text_with_payloads_intact(client, corrected):
    response = client.get("/fact-checks/feed/")
    assert response.status_code == 200

    root = strict_parse(response.content)
    assert_only_atom(root)
    entries = root.findall(f"{{{ATOM}}}entry")
    assert len(entries) == 1
    summary = entries[0].find(f"{{{ATOM}}}summary")
    assert summary.get("type") == "text"
    assert summary.text == PAYLOAD
    # A text construct with no type attribute is text (RFC 4287, 3.1.1).
    assert entries[0].find(f"{{{ATOM}}}title").get("type", "text") == "text"

    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    (entry,) = parsed.entries
    assert entry.summary_detail.type == "text/plain"
    assert entry.summary == PAYLOAD
    assert entry.title_detail.type == "text/plain"
    assert entry.title == f"Corrected: Headline {PAYLOAD}: {corrected.rating.label}"


def test_feed_drops_characters_xml_cannot_carry_instead_of_failing(client, editor, reviewer, default_scale):
    claim = ClaimFactory()
    add_verdict_draft(claim, reviewer, headline="Vertical\x0btab", summary="Form\x0cfeed and a\x1funit separator")
    advance(claim, Claim.Status.PUBLISHED, editor, reviewer)

    response = client.get("/fact-checks/feed/")

    assert response.status_code == 200
    root = strict_parse(response.content)
    assert_only_atom(root)
    entry = feedparser.parse(response.content).entries[0]
    assert entry.summary == "Formfeed and aunit separator"
    assert entry.title.startswith("Verticaltab: ")
