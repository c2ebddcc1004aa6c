"""Move a claim through the review workflow from the command line, as a named user.

    python manage.py transition 12 approve --as editor --publish-at 2026-03-30T09:00+01:00

The command only parses and reports: claims.review.workflow.perform does the checks
and the change, exactly as for the admin and the API.
"""

from __future__ import annotations

import datetime as dt
from argparse import RawTextHelpFormatter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from django.db import transaction

from claims.models import Claim
from claims.review import workflow

ACTIONS = [action for action in workflow.FUNCTIONS if not workflow.TRANSITIONS[action].system_only]


class HelpFormatter(DjangoHelpFormatter, RawTextHelpFormatter):
    """Django's option order, with the action list printed as written."""


def actions_epilog() -> str:
    width = max(len(action) for action in ACTIONS)
    lines = ["actions:"]
    for action in ACTIONS:
        t = workflow.TRANSITIONS[action]
        sources = ", ".join(Claim.Status(s).label.lower() for s in t.sources)
        lines.append(f"  {action:<{width}}  {t.help}")
        needs = f"; needs {', '.join('--' + name.replace('_', '-') for name in t.required)}" if t.required else ""
        lines.append(f"  {'':<{width}}  (from: {sources}{needs})")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Move a claim through the review workflow as USERNAME, with the same checks as the admin."

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        kwargs.setdefault("epilog", actions_epilog())
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("claim_id", type=int, metavar="CLAIM_ID")
        parser.add_argument("action", choices=ACTIONS, metavar="ACTION", help="One of the actions listed below.")
        parser.add_argument("--as", dest="username", required=True, metavar="USERNAME", help="Who does it.")
        parser.add_argument("--note", default="", help="The note, reason or public explanation.")
        parser.add_argument("--assignee", metavar="USERNAME", help="The reviewer, for assign and reassign.")
        parser.add_argument(
            "--publish-at",
            metavar="ISO8601",
            help="approve: publish at this time, with a time zone (e.g. 2026-03-30T09:00+01:00).",
        )
        parser.add_argument("--duplicate-of", type=int, metavar="CLAIM_ID", help="mark_duplicate: the canonical claim.")
        parser.add_argument(
            "--expected-version",
            type=int,
            metavar="N",
            help="Refuse if the claim is no longer at version N (someone else changed it).",
        )

    def handle(self, *args, **options):
        claim_id = options["claim_id"]
        user = self._user(options["username"])
        assignee = self._user(options["assignee"]) if options["assignee"] else None
        publish_at = self._publish_at(options["publish_at"])
        try:
            # The row lock makes the "from" status in the output the one the
            # transition actually started from.
            with transaction.atomic():
                before = Claim.objects.select_for_update().filter(pk=claim_id).values_list("status", flat=True).first()
                if before is None:
                    raise CommandError(f"Claim #{claim_id} does not exist.")
                claim = workflow.perform(
                    options["action"],
                    claim_id,
                    by=user,
                    expected_version=options["expected_version"],
                    note=options["note"],
                    assignee=assignee,
                    publish_at=publish_at,
                    duplicate_of=options["duplicate_of"],
                )
        except workflow.WorkflowError as exc:
            raise CommandError(" ".join(exc.message.split())) from exc
        self.stdout.write(
            f"claim #{claim.pk}: {Claim.Status(before).label.lower()} -> "
            f"{claim.get_status_display().lower()} (version {claim.version})"
        )

    def _user(self, username: str):
        User = get_user_model()  # noqa: N806
        try:
            return User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None

    def _publish_at(self, value: str | None) -> dt.datetime | None:
        if not value:
            return None
        try:
            publish_at = dt.datetime.fromisoformat(value)
        except ValueError:
            raise CommandError(
                f"--publish-at {value!r} is not an ISO 8601 date and time, e.g. 2026-03-30T09:00+01:00."
            ) from None
        if publish_at.tzinfo is None or publish_at.utcoffset() is None:
            raise CommandError(f"--publish-at {value!r} has no time zone; add one, e.g. {value}+00:00.")
        return publish_at
