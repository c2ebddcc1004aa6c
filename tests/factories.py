from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from claims.evidence.sources import save_source
from claims.models import Article, Claim, Claimant, Evidence, Outlet, Rating, RatingScale, ReviewEvent, Verdict
from claims.review.publication import source_record


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet

    name = factory.Sequence(lambda n: f"Outlet {n}")
    domain = factory.Sequence(lambda n: f"outlet{n}.example")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    url = factory.Sequence(lambda n: f"https://news.example/story/{n}")
    title = factory.Sequence(lambda n: f"Story number {n}")
    outlet = factory.SubFactory(OutletFactory)
    language = "en"
    text = factory.Sequence(
        lambda n: f"Story {n}. The minister said unemployment fell by 3 percent in 2025. Others disagreed."
    )
    status = Article.Status.DONE
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))


class ClaimantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claimant

    name = factory.Sequence(lambda n: f"Speaker {n}")
    kind = Claimant.Kind.PERSON


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim

    text = factory.Sequence(lambda n: f"Unemployment fell by {n} percent in 2025.")
    claimant = factory.SubFactory(ClaimantFactory)
    checkworthiness = 0.5
    language = "en"


class RatingScaleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingScale

    name = factory.Sequence(lambda n: f"Scale {n}")
    version = 1


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    scale = factory.SubFactory(RatingScaleFactory)
    label = factory.Sequence(lambda n: f"Rating {n}")
    definition = "A rating used in tests."
    value = factory.Sequence(lambda n: n + 1)


class EvidenceFactory(factory.django.DjangoModelFactory):
    """Attaches a source as the admin and the API do: through the evidence service, its snapshot queued."""

    class Meta:
        model = Evidence

    claim = factory.SubFactory(ClaimFactory)
    url = factory.Sequence(lambda n: f"https://source{n}.example/report")
    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = factory.Sequence(lambda n: f"Publisher {n}")
    excerpt = "The figure was 3.1 percent."
    stance = Evidence.Stance.SUPPORTS
    source_type = Evidence.SourceType.DATASET

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return save_source(model_class(*args, **kwargs))


class VerdictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verdict

    claim = factory.SubFactory(ClaimFactory)
    rating = factory.SubFactory(RatingFactory)
    headline = "Unemployment fell by 3 percent"
    summary = "Official data show a fall of 3.1 percent."
    explanation = "The statistics office's annual series shows the fall."
    author = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A revision made public here carries, as the workflow's publication would,
        # the claim and the sources it was published with (those added by then).
        if kwargs.get("status", Verdict.Status.DRAFT) != Verdict.Status.DRAFT and not kwargs.get("claim_text"):
            claim = kwargs["claim"]
            claimant = claim.claimant
            published_at = kwargs.get("published_at")
            evidence = claim.evidence.order_by("added_at", "pk")
            if published_at is not None:
                evidence = evidence.filter(added_at__lte=published_at)
            kwargs.update(
                claim_text=claim.text,
                claimant=claimant,
                claimant_name=claimant.name if claimant else "",
                claimant_kind=claimant.kind if claimant else "",
                claimant_description=claimant.description if claimant else "",
                claimed_on=claim.claimed_on,
                language=claim.language,
                sources=[source_record(e) for e in evidence],
            )
        return super()._create(model_class, *args, **kwargs)


class ReviewEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewEvent

    claim = factory.SubFactory(ClaimFactory)
    action = "claims.claim.accepted"
    from_status = Claim.Status.CANDIDATE
    to_status = Claim.Status.ACCEPTED
    actor = factory.SubFactory(UserFactory)


# --- Driving claims through the real workflow ---------------------------------
# Shared by the workflow, concurrency and CLI tests: a claim reaches a status
# only through the transition functions, never by setting ``status``.

FUTURE = dt.timedelta(days=1)


def add_verdict_draft(claim: Claim, author, *, rating: Rating | None = None, **fields) -> Verdict:
    """A complete draft (rating, headline, summary, explanation) on the default scale."""
    if rating is None:
        rating = Rating.objects.get(scale__is_default=True, label="False")
    return VerdictFactory(claim=claim, author=author, rating=rating, status=Verdict.Status.DRAFT, **fields)


def archive(evidence: Evidence, body: bytes | None = None) -> Evidence:
    """Store the source's reference snapshot as the snapshot task does once it has fetched the page.

    Tests never fetch the internet: the page is given here (a plain-text copy of
    the source's excerpt unless ``body`` says otherwise), and stored by the same
    code the task uses (``snapshots.store_reference``).
    """
    from claims.evidence import snapshots

    body = body if body is not None else f"{evidence.title}\n\n{evidence.excerpt}\n".encode()
    page = snapshots.page_from_body(body, content_type="text/plain; charset=utf-8", final_url=evidence.url)
    assert snapshots.store_reference(evidence.pk, evidence.url, page) == "archived"
    evidence.refresh_from_db()
    return evidence


def add_evidence(
    claim: Claim, *urls_and_stances: tuple[str, str], added_by=None, archived: bool = True
) -> list[Evidence]:
    """Sources attached to the claim; archived (their snapshot taken) unless ``archived`` is False."""
    sources = [
        EvidenceFactory(claim=claim, url=url, stance=stance, added_by=added_by) for url, stance in urls_and_stances
    ]
    return [archive(e) for e in sources] if archived else sources


def add_independent_evidence(claim: Claim, added_by=None, *, archived: bool = True) -> list[Evidence]:
    """Two sources from distinct publishers: one supports, one refutes (archived unless told otherwise)."""
    return add_evidence(
        claim,
        ("https://stats.example.org/unemployment-2025", Evidence.Stance.REFUTES),
        ("https://www.reuters.com/world/unemployment-figures", Evidence.Stance.SUPPORTS),
        added_by=added_by,
        archived=archived,
    )


TASK_ANSWERS = {"text": "Done.", "url": "https://stats.example.org/table", "yes_no": "yes"}


def complete_required_tasks(claim: Claim, by) -> None:
    """Answer and check the claim's required checklist tasks, as its reviewer would before submitting."""
    from claims.collaboration import checklists

    for task in claim.tasks.filter(required=True, checked_at__isnull=True):
        checklists.update_task(
            task.pk, by=by, expected_version=task.version, answer=TASK_ANSWERS[task.answer_kind], checked=True
        )


def advance(claim: Claim, to_status: str, editor, reviewer, *, publish_at: dt.datetime | None = None) -> Claim:
    """Drive ``claim`` from its current status to ``to_status`` along the main path.

    candidate -> accepted -> assigned -> in_research -> in_review -> published
    (or scheduled, with ``publish_at`` defaulting to a day ahead) -> retracted.
    Before submitting it adds a complete draft by ``reviewer`` and two
    independent sources, unless the claim already has them.
    """
    from claims.review import workflow

    s = Claim.Status
    steps = 0
    claim.refresh_from_db()
    while claim.status != to_status:
        steps += 1
        assert steps <= 10, f"cannot advance claim #{claim.pk} from {claim.status} to {to_status}"
        if claim.status == s.CANDIDATE:
            workflow.accept(claim.pk, by=editor)
        elif claim.status == s.ACCEPTED:
            workflow.assign(claim.pk, by=editor, assignee=reviewer)
        elif claim.status == s.ASSIGNED:
            workflow.start_research(claim.pk, by=reviewer)
        elif claim.status == s.IN_RESEARCH:
            if not claim.verdicts.filter(status=Verdict.Status.DRAFT).exists():
                add_verdict_draft(claim, reviewer)
            if not claim.evidence.exists():
                # Archived in the transaction that attaches them: the snapshot tasks queued
                # for its commit (run at once where tests commit) find them done.
                with transaction.atomic():
                    add_independent_evidence(claim, added_by=reviewer)
            complete_required_tasks(claim, reviewer)
            workflow.submit(claim.pk, by=reviewer)
        elif claim.status == s.IN_REVIEW and to_status == s.SCHEDULED:
            workflow.approve(claim.pk, by=editor, publish_at=publish_at or timezone.now() + FUTURE)
        elif claim.status == s.IN_REVIEW:
            workflow.approve(claim.pk, by=editor)
        elif claim.status == s.PUBLISHED and to_status == s.RETRACTED:
            workflow.retract(claim.pk, by=editor, note="The source document was forged.")
        else:
            raise AssertionError(f"advance() does not go from {claim.status} to {to_status}")
        claim.refresh_from_db()
    return claim


def member_of(group_name: str, username: str, **fields):
    """A user in one of the role groups (the roles fixture must have run)."""
    from django.contrib.auth.models import Group

    user = UserFactory(username=username, **fields)
    user.groups.add(Group.objects.get(name=group_name))
    return user
