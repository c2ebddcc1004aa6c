"""Load demo users and a sample article with claims in several statuses.

Idempotent: every row is found by its natural key before it is created, so
running it twice leaves the same data as running it once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from claims.collaboration import checklists, notes, tags
from claims.defaults import ensure_default_scale
from claims.evidence import snapshots
from claims.models import (
    Article,
    ChecklistTemplateTask,
    Claim,
    Claimant,
    ClaimantContact,
    Evidence,
    Outlet,
    Rating,
    RatingScale,
    Tag,
    WatchedSource,
)
from claims.normalize import url_host
from claims.review import editing, workflow
from claims.review.roles import EDITORS, REVIEWERS, sync_role_groups

DEMO_USERS = [
    # username, password, group, superuser
    ("editor", "demo-editor-pass", EDITORS, False),
    ("reviewer", "demo-reviewer-pass", REVIEWERS, False),
    ("admin", "demo-admin-pass", None, True),
]

# The desk's checklist (label, answer kind, required before submit, default assignee, description).
CHECKLIST = [
    ("Contact the claimant", "text", True, "assignee", "Ask the speaker for their source; record the reply."),
    ("Find the primary data", "url", False, "assignee", "The original table or document, not a report about it."),
    ("Second source for the figure", "yes_no", False, "", "Does an independent source give the same number?"),
]

DEMO_FEED = "claims/demo/feed.xml"
ARTICLE_URL = "https://riverton-gazette.example/news/2026/03/transit-budget-vote"
ARTICLE_TITLE = "Council splits over free-fare buses as budget vote nears"
SENTENCES = {
    "ridership": "Bus ridership has doubled since fares were abolished in January 2024, Mayor Dana Whitfield said on Tuesday.",
    "cost": "The free-fare programme costs the city $14 million a year, according to the Riverton Transit Authority.",
    "crime": "Councillor Sam Ortiz told the budget committee that assaults on buses rose by 40 percent last year.",
    "cars": "\u201cWe have taken twelve thousand cars off our roads,\u201d Whitfield said.",
    "opinion": "Ortiz called the programme \u201ca beautiful idea that the city simply cannot afford.\u201d",
    "jobs": "The authority has hired 85 new drivers since the programme began, its annual report shows.",
    "fares": "Fares previously covered about 11 percent of the system's operating costs.",
}
ARTICLE_TEXT = "\n\n".join(
    [
        "RIVERTON \u2014 The city council is divided over whether to keep buses free as it prepares "
        "to vote on next year's budget.",
        SENTENCES["ridership"] + " " + SENTENCES["cars"],
        SENTENCES["cost"] + " " + SENTENCES["fares"],
        SENTENCES["crime"] + " " + SENTENCES["opinion"],
        SENTENCES["jobs"] + " The council votes on the budget on March 30.",
    ]
)


# The demo's sources are made up (*.example): each one's reference snapshot is stored from
# this text instead of being fetched, so the demo never looks a name up or connects anywhere.
SOURCE_PAGES = {
    "https://police.riverton.example/statistics/2025-transit-incidents": (
        "2025 transit incident statistics\n\n"
        "Riverton Police Department\n\n"
        "Assaults on transit vehicles: 61 in 2025, 52 in 2024. "
        "Incidents on buses and at stops, reported to or recorded by the department.\n"
    ),
    "https://city.riverton.example/budget/2026/transit": (
        "Adopted budget 2026: transit\n\n"
        "City of Riverton\n\n"
        "Fare replacement subsidy: $14.2 million. "
        "The subsidy replaces the fare revenue the Riverton Transit Authority forgoes since fares were abolished.\n"
    ),
    "https://riverton-transit.example/reports/annual-2025": (
        "Annual report 2025\n\n"
        "Riverton Transit Authority\n\n"
        "Forgone fare revenue in 2025 was $13.9 million. "
        "The authority hired 85 new drivers since the free-fare programme began.\n"
    ),
}


class Command(BaseCommand):
    help = "Create demo users and a sample article with claims, evidence and a published verdict (DJANGO_DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo creates users with known passwords; it runs only with DJANGO_DEBUG=1.")
        with transaction.atomic():
            sync_role_groups()
            scale = ensure_default_scale(RatingScale, Rating)
            users = self._users()
            # Before the claims: each claim accepted below gets its copy of the checklist.
            self._checklist_template()
            self._sample_article(users, scale)
            # In this transaction: the snapshot tasks queued for its commit find them done.
            self._archive_sources()
            feed = self._monitored_outlet()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at /admin/ as:"))
        for username, password, group, superuser in DEMO_USERS:
            role = "superuser" if superuser else group
            note = "" if users[username][1] else "  (existing user: password unchanged)"
            self.stdout.write(f"  {username:<9} password: {password:<20} {role}{note}")
        self.stdout.write(
            f'Monitored outlet: {feed.url} (Watched sources in the admin; choose "Poll now" while the server runs).'
        )

    def _users(self):
        User = get_user_model()  # noqa: N806
        users = {}
        for username, password, group, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "is_superuser": superuser, "email": f"{username}@example.org"},
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            if group:
                user.groups.add(Group.objects.get(name=group))
            users[username] = (user, created)
        return users

    def _sample_article(self, users, scale):
        editor, reviewer = users["editor"][0], users["reviewer"][0]
        outlet, _ = Outlet.objects.get_or_create(
            domain="riverton-gazette.example", defaults={"name": "Riverton Gazette"}
        )
        article, _ = Article.objects.get_or_create(
            url=ARTICLE_URL,
            defaults={
                "title": ARTICLE_TITLE,
                "outlet": outlet,
                "byline": "Priya Raman",
                "published_at": dt.datetime(2026, 3, 17, 9, 30, tzinfo=dt.UTC),
                "language": "en",
                "text": ARTICLE_TEXT,
                "status": Article.Status.DONE,
                "submitted_by": editor,
            },
        )
        mayor, _ = Claimant.objects.get_or_create(
            name="Dana Whitfield", kind=Claimant.Kind.PERSON, defaults={"description": "Mayor of Riverton"}
        )
        councillor, _ = Claimant.objects.get_or_create(
            name="Sam Ortiz", kind=Claimant.Kind.PERSON, defaults={"description": "Riverton city councillor"}
        )
        authority, _ = Claimant.objects.get_or_create(
            name="Riverton Transit Authority", kind=Claimant.Kind.ORGANIZATION
        )
        outlet_claimant, _ = Claimant.objects.get_or_create(name="Riverton Gazette", kind=Claimant.Kind.ORGANIZATION)

        def claim(key, text, claimant, score, **extra):
            sentence = SENTENCES[key]
            start = article.text.index(sentence)
            obj, created = Claim.objects.get_or_create(
                article=article,
                span_start=start,
                span_end=start + len(sentence),
                defaults={
                    "text": text,
                    "sentence": sentence,
                    "claimant": claimant,
                    "claimed_on": dt.date(2026, 3, 17),
                    "checkworthiness": score,
                    "language": "en",
                    **extra,
                },
            )
            return obj, created

        claim(
            "ridership",
            "Bus ridership in Riverton has doubled since fares were abolished in January 2024.",
            mayor,
            0.91,
        )
        claim("cars", "Free buses have taken twelve thousand cars off Riverton's roads.", mayor, 0.74)

        # Everything else moves through the real workflow, once: only when the
        # claim was just created (a second run finds it and leaves it alone).
        opinion, created = claim(
            "opinion", "The free-fare programme is a beautiful idea the city cannot afford.", councillor, 0.18
        )
        if created:
            workflow.dismiss(opinion.pk, by=editor, note="Opinion, not a checkable statement of fact.")

        jobs, created = claim(
            "jobs",
            "The Riverton Transit Authority has hired 85 new drivers since the programme began.",
            outlet_claimant,
            0.55,
        )
        if created:
            workflow.accept(jobs.pk, by=editor)

        crime, created = claim(
            "crime",
            "Assaults on Riverton buses rose by 40 percent last year.",
            councillor,
            0.88,
            priority=Claim.Priority.HIGH,
        )
        if created:
            workflow.accept(crime.pk, by=editor)
            workflow.assign(crime.pk, by=editor, assignee=reviewer)
            workflow.start_research(crime.pk, by=reviewer)
            notes.add_note(
                by=reviewer,
                claim=crime,
                body="The police figures show a **17 percent** rise (52 to 61), not 40. @editor I have asked "
                "Councillor Ortiz's office where the 40 came from.",
            )
            notes.add_note(by=editor, claim=crime, body="Thanks @reviewer. Check whether he meant *all* incidents.")
            self._evidence(
                crime,
                reviewer,
                "https://police.riverton.example/statistics/2025-transit-incidents",
                "2025 transit incident statistics",
                "Riverton Police Department",
                "Assaults on transit vehicles: 61 in 2025, 52 in 2024.",
                Evidence.Stance.REFUTES,
                Evidence.SourceType.DATASET,
            )

        cost, created = claim(
            "cost", "Riverton's free-fare bus programme costs the city $14 million a year.", authority, 0.83
        )
        if created:
            workflow.accept(cost.pk, by=editor)
            workflow.assign(cost.pk, by=editor, assignee=reviewer)
            workflow.start_research(cost.pk, by=reviewer)
            self._evidence(
                cost,
                reviewer,
                "https://city.riverton.example/budget/2026/transit",
                "Adopted budget 2026: transit",
                "City of Riverton",
                "Fare replacement subsidy: $14.2 million.",
                Evidence.Stance.SUPPORTS,
                Evidence.SourceType.PRIMARY_DOCUMENT,
            )
            self._evidence(
                cost,
                reviewer,
                "https://riverton-transit.example/reports/annual-2025",
                "Annual report 2025",
                "Riverton Transit Authority",
                "Forgone fare revenue in 2025 was $13.9 million.",
                Evidence.Stance.SUPPORTS,
                Evidence.SourceType.OFFICIAL_STATEMENT,
            )
            ClaimantContact.objects.create(
                claim=cost,
                contacted_at=timezone.now() - dt.timedelta(days=2),
                method=ClaimantContact.Method.EMAIL,
                contact_details="Riverton Transit Authority press office",
                response="The $14 million figure is the forgone fare revenue in our 2025 annual report.",
                responded_at=timezone.now(),
                recorded_by=reviewer,
            )
            editing.save_draft(
                cost.pk,
                by=reviewer,
                changes={
                    "rating": scale.ratings.get(label="True"),
                    "headline": "Free buses cost Riverton $14 million a year",
                    "summary": "The adopted 2026 budget and the transit authority's annual report both put the cost at about $14 million.",
                    "explanation": (
                        "The city's adopted budget lists a fare-replacement subsidy of $14.2 million, and the transit "
                        "authority's 2025 annual report puts forgone fare revenue at $13.9 million. Both round to the "
                        "$14 million the authority cited."
                    ),
                },
            )
            for task in cost.tasks.all():
                answers = {"url": "https://city.riverton.example/budget/2026/transit", "yes_no": "yes"}
                checklists.update_task(
                    task.pk,
                    by=reviewer,
                    expected_version=task.version,
                    answer=answers.get(task.answer_kind, "The press office confirmed the figure by e-mail."),
                    checked=True,
                )
            notes.add_note(by=editor, claim=cost, body="@reviewer solid work; approving once you submit.")
            workflow.submit(cost.pk, by=reviewer, note="Two official sources agree.")
            # Publication waits for every source's archive.
            self._archive_sources()
            workflow.approve(cost.pk, by=editor)

        # An editor marked "transit" public; "city budget" stays internal.
        Tag.objects.get_or_create(name="transit", defaults={"public": True})
        tags.tag_claims(list(Claim.objects.filter(article=article).values_list("pk", flat=True)), "transit", by=editor)
        tags.tag_claims([cost.pk], "city budget", by=editor)

    def _checklist_template(self):
        for position, (label, kind, required, assignee, description) in enumerate(CHECKLIST, start=1):
            ChecklistTemplateTask.objects.get_or_create(
                label=label,
                defaults={
                    "answer_kind": kind,
                    "required": required,
                    "default_assignee": assignee,
                    "position": position,
                    "description": description,
                },
            )

    def _evidence(self, claim, user, url, title, publisher, excerpt, stance, source_type):
        # Through the editing service, as the admin and the API attach sources (its snapshot queued with it).
        editing.attach_evidence(
            claim.pk,
            by=user,
            url=url,
            stance=stance,
            title=title,
            publisher=publisher,
            excerpt=excerpt,
            source_type=source_type,
        )

    def _monitored_outlet(self) -> WatchedSource:
        """A feed served by this very server from the app's static files (claims/static/claims/demo/):
        the fetcher refuses file:// and, outside tests, loopback addresses, so `make run` lists
        the server's own host in FACTCHECK_FETCH_TEST_HOSTS."""
        url = f"{settings.SITE_URL}/{settings.STATIC_URL.strip('/')}/{DEMO_FEED}"
        outlet, _ = Outlet.objects.get_or_create(
            domain=url_host(url), defaults={"name": "Riverton Gazette (demo feed)"}
        )
        source, _ = WatchedSource.objects.get_or_create(
            url=url,
            defaults={"outlet": outlet, "kind": WatchedSource.Kind.FEED, "title": "Riverton Gazette (demo feed)"},
        )
        return source

    def _archive_sources(self):
        for evidence in Evidence.objects.filter(url__in=SOURCE_PAGES):
            page = snapshots.page_from_body(
                SOURCE_PAGES[evidence.url].encode(), content_type="text/plain", final_url=evidence.url
            )
            snapshots.store_reference(evidence.pk, evidence.url, page)
