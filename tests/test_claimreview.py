"""ClaimReview JSON-LD: valid schema.org, and Google's rules."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest

from claims.models import Claim, Verdict
from claims.publishing.claimreview import claimreview
from claims.review import workflow

from .factories import ArticleFactory, ClaimantFactory, ClaimFactory, OutletFactory, advance

pytestmark = pytest.mark.django_db

SCHEMA = "schema:"
# Literal value types: a property whose range includes one of these takes plain JSON values.
LITERALS = {"Text", "URL", "Date", "DateTime", "Number", "Integer", "Float", "Boolean", "Time"}


class Vocabulary:
    def __init__(self, path):
        graph = json.loads(path.read_text())["@graph"]
        self.parents: dict[str, set[str]] = {}
        self.domains: dict[str, set[str]] = {}
        self.ranges: dict[str, set[str]] = {}
        for node in graph:
            name = node["@id"].removeprefix(SCHEMA)
            types = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
            if "rdfs:Class" in types:
                self.parents[name] = {p["@id"].removeprefix(SCHEMA) for p in _as_list(node.get("rdfs:subClassOf"))}
            if "rdf:Property" in types:
                self.domains[name] = {
                    d["@id"].removeprefix(SCHEMA) for d in _as_list(node.get("schema:domainIncludes"))
                }
                self.ranges[name] = {r["@id"].removeprefix(SCHEMA) for r in _as_list(node.get("schema:rangeIncludes"))}

    def ancestors(self, cls: str) -> set[str]:
        seen, todo = set(), [cls]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.parents.get(current, ()))
        return seen

    def problems(self, node: dict, path: str = "$") -> list[str]:
        found = []
        cls = node.get("@type")
        if cls not in self.parents:
            return [f"{path}: unknown type {cls!r}"]
        lineage = self.ancestors(cls)
        for prop, value in node.items():
            if prop.startswith("@"):
                continue
            if prop not in self.domains:
                found.append(f"{path}.{prop}: not a schema.org property")
                continue
            if not self.domains[prop] & lineage:
                found.append(f"{path}.{prop}: not a property of {cls} (domains {sorted(self.domains[prop])})")
            for index, item in enumerate(_as_list(value)):
                where = f"{path}.{prop}[{index}]"
                if isinstance(item, dict):
                    if not self.ranges[prop] & self.ancestors(item.get("@type", "")):
                        found.append(f"{where}: {item.get('@type')} not in the range {sorted(self.ranges[prop])}")
                    found += self.problems(item, where)
                elif not self.ranges[prop] & LITERALS and not any(
                    self.ancestors(r) & LITERALS for r in self.ranges[prop]
                ):
                    found.append(f"{where}: a literal where {sorted(self.ranges[prop])} is expected")
        return found


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@pytest.fixture
def vocabulary(shared_data):
    return Vocabulary(shared_data / "schemaorg" / "schemaorg-current-https.jsonld")


@pytest.fixture
def published(editor, reviewer, default_scale, settings):
    settings.SITE_URL = "https://factcheck.example.org"
    settings.FACTCHECK_ORGANIZATION_NAME = "Example Fact Desk"
    outlet = OutletFactory(name="Press TV", domain="presstv.ir")
    article = ArticleFactory(
        url="https://www.presstv.ir/Detail/2024/05/28/nato",
        outlet=outlet,
        published_at=dt.datetime(2024, 5, 28, tzinfo=dt.UTC),
    )
    claim = ClaimFactory(
        article=article,
        claimant=ClaimantFactory(name="Jens Stoltenberg", description="NATO Secretary-General"),
        claimed_on=dt.date(2024, 5, 27),
        language="en",
        text="Some allies have lifted restrictions on using Western arms.",
    )
    return advance(claim, Claim.Status.PUBLISHED, editor, reviewer)


def test_claimreview_is_valid_schema_org(published, vocabulary):
    document = claimreview(Verdict.objects.published().get(claim=published))
    assert vocabulary.problems(document) == []


def test_claimreview_follows_googles_rules(published):
    verdict = Verdict.objects.published().get(claim=published)
    document = claimreview(verdict)
    assert document["@type"] == "ClaimReview"
    assert document["claimReviewed"] == verdict.headline
    assert verdict.rating.label not in document["claimReviewed"]
    assert urlsplit(document["url"]).netloc == "factcheck.example.org"
    assert document["url"] == f"https://factcheck.example.org/fact-checks/{published.slug}/"
    assert document["author"] == {
        "@type": "Organization",
        "name": "Example Fact Desk",
        "url": "https://factcheck.example.org/",
    }
    assert document["datePublished"] == verdict.published_at.date().isoformat()
    rating = document["reviewRating"]
    assert rating["alternateName"] == verdict.rating.label
    assert (rating["bestRating"], rating["worstRating"]) == (5, 1)
    item = document["itemReviewed"]
    assert item["author"] == {"@type": "Person", "name": "Jens Stoltenberg", "description": "NATO Secretary-General"}
    assert item["datePublished"] == "2024-05-27"
    assert item["firstAppearance"]["url"] == "https://www.presstv.ir/Detail/2024/05/28/nato"
    assert item["appearance"][0]["publisher"]["name"] == "Press TV"
    assert "dateModified" not in document


def test_corrected_fact_check_has_date_modified_and_stays_valid(published, editor, reviewer, vocabulary):
    workflow.correct(published.pk, by=editor, note="The figure was for 2023.")
    published.verdicts.filter(status=Verdict.Status.DRAFT).update(correction_note="We corrected the year.")
    workflow.submit(published.pk, by=reviewer)
    workflow.approve(published.pk, by=editor)
    published.refresh_from_db()
    slug_before = published.slug
    current = Verdict.objects.published().get(claim=published)
    document = claimreview(current)
    first = published.verdicts.get(revision=1)
    assert current.revision == 2
    assert document["datePublished"] == first.published_at.date().isoformat()
    assert document["dateModified"] == current.published_at.isoformat()
    assert document["url"].endswith(f"/fact-checks/{slug_before}/")
    assert vocabulary.problems(document) == []


def test_rating_off_the_numeric_scale_has_only_its_text(published, default_scale, vocabulary):
    verdict = Verdict.objects.published().get(claim=published)
    verdict.rating = default_scale.ratings.get(label="Misleading")
    document = claimreview(verdict)
    assert document["reviewRating"]["alternateName"] == "Misleading"
    assert "ratingValue" not in document["reviewRating"]
    assert vocabulary.problems(document) == []


def test_duplicates_add_their_appearances(published, editor):
    other = ClaimFactory(
        article=ArticleFactory(url="https://other.example/story", published_at=dt.datetime(2024, 5, 29, tzinfo=dt.UTC))
    )
    workflow.mark_duplicate(other.pk, by=editor, duplicate_of=published)
    document = claimreview(Verdict.objects.published().get(claim=published))
    urls = [a["url"] for a in document["itemReviewed"]["appearance"]]
    assert urls == ["https://www.presstv.ir/Detail/2024/05/28/nato", "https://other.example/story"]


def test_validator_catches_a_misplaced_property(vocabulary):
    assert vocabulary.problems({"@type": "Claim", "reviewRating": {"@type": "Rating"}})
    assert vocabulary.problems({"@type": "ClaimReview", "madeUpProperty": "x"})


def test_export_writes_one_claimreview_per_published_fact_check(published, editor, reviewer, vocabulary):
    from io import StringIO

    from django.core.management import call_command

    ClaimFactory(text="An unpublished candidate about rents.")
    out, err = StringIO(), StringIO()
    call_command("export_claimreview", stdout=out, stderr=err)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 1
    assert lines[0]["url"].endswith(f"/fact-checks/{published.slug}/")
    assert vocabulary.problems(lines[0]) == []
    assert "1 fact-check(s) exported." in err.getvalue()
