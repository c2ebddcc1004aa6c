import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    # Notes, checklists, tags and notifications (issue 16).
    dependencies = [
        ("claims", "0019_workspace"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ChecklistTemplateTask",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(max_length=200)),
                ("description", models.TextField(blank=True)),
                (
                    "answer_kind",
                    models.CharField(
                        choices=[("text", "Free text"), ("url", "A URL"), ("yes_no", "Yes or no")],
                        default="text",
                        max_length=8,
                    ),
                ),
                (
                    "required",
                    models.BooleanField(default=False, help_text="Submitting for review is refused while it is open."),
                ),
                (
                    "default_assignee",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "Nobody"),
                            ("assignee", "The claim's reviewer"),
                            ("editor", "The editor who accepted it"),
                        ],
                        default="",
                        max_length=16,
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0)),
                (
                    "active",
                    models.BooleanField(
                        default=True, help_text="Inactive tasks are not given to newly accepted claims."
                    ),
                ),
            ],
            options={
                "verbose_name": "checklist template task",
                "ordering": ["position", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ClaimTask",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("label", models.CharField(max_length=200)),
                ("description", models.TextField(blank=True)),
                (
                    "answer_kind",
                    models.CharField(
                        choices=[("text", "Free text"), ("url", "A URL"), ("yes_no", "Yes or no")],
                        default="text",
                        max_length=8,
                    ),
                ),
                ("required", models.BooleanField(default=False)),
                ("default_assignee", models.CharField(blank=True, default="", max_length=16)),
                ("position", models.PositiveIntegerField(default=0)),
                ("answer", models.TextField(blank=True)),
                ("checked_at", models.DateTimeField(blank=True, null=True)),
                ("checked_by_username", models.CharField(blank=True, max_length=150)),
                ("version", models.PositiveIntegerField(default=1)),
                (
                    "assignee",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="tasks", to="claims.claim"
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="claims.checklisttemplatetask",
                    ),
                ),
            ],
            options={
                "verbose_name": "checklist task",
                "ordering": ["claim", "position", "pk"],
            },
        ),
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64, unique=True)),
                ("public", models.BooleanField(default=False, help_text="Shown with published fact-checks.")),
                ("articles", models.ManyToManyField(blank=True, related_name="tags", to="claims.article")),
                ("claims", models.ManyToManyField(blank=True, related_name="tags", to="claims.claim")),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="DigestEmail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("day", models.DateField()),
                ("message_id", models.CharField(blank=True, max_length=200)),
                ("sent_at", models.DateTimeField(blank=True, null=True)),
                ("notification_count", models.PositiveIntegerField(default=0)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("user", "day"), name="digestemail_one_per_day")],
            },
        ),
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("author_username", models.CharField(max_length=150)),
                (
                    "body",
                    models.TextField(help_text="Markdown-lite: **bold**, *italic*, `code`, links; @username mentions."),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("edited_at", models.DateTimeField(blank=True, null=True)),
                ("removed_at", models.DateTimeField(blank=True, null=True)),
                ("removed_by_username", models.CharField(blank=True, max_length=150)),
                (
                    "article",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notes",
                        to="claims.article",
                    ),
                ),
                (
                    "author",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notes",
                        to="claims.claim",
                    ),
                ),
                ("mentions", models.ManyToManyField(blank=True, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["created_at", "pk"],
                "indexes": [models.Index(fields=["claim", "created_at"], name="note_claim_created")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("article__isnull", True), ("claim__isnull", False)),
                            models.Q(("article__isnull", False), ("claim__isnull", True)),
                            _connector="OR",
                        ),
                        name="note_on_claim_or_article",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "verb",
                    models.CharField(
                        choices=[
                            ("assigned", "Assigned to you"),
                            ("mentioned", "Mentioned in a note"),
                            ("changes_requested", "Changes requested"),
                            ("approved", "Your claim was approved"),
                            ("published", "Your claim was published"),
                            ("task_assigned", "A task assigned to you"),
                            ("source_broken", "A source of your fact-check broke"),
                        ],
                        max_length=32,
                    ),
                ),
                ("actor_username", models.CharField(blank=True, max_length=150)),
                ("detail", models.CharField(blank=True, max_length=300)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("read_at", models.DateTimeField(blank=True, null=True)),
                (
                    "email",
                    models.CharField(
                        choices=[
                            ("none", "Workspace only"),
                            ("pending", "To send"),
                            ("sent", "Sent"),
                            ("digest", "In the daily digest"),
                        ],
                        default="none",
                        max_length=8,
                    ),
                ),
                ("email_message_id", models.CharField(blank=True, max_length=200)),
                ("emailed_at", models.DateTimeField(blank=True, null=True)),
                ("email_attempts", models.PositiveSmallIntegerField(default=0)),
                ("email_error", models.TextField(blank=True)),
                ("email_next_at", models.DateTimeField(blank=True, null=True)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="claims.claim",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
                    models.Index(
                        condition=models.Q(("read_at__isnull", True)), fields=["recipient"], name="notification_unread"
                    ),
                    models.Index(
                        condition=models.Q(("email__in", ["pending", "digest"])),
                        fields=["email_next_at"],
                        name="notification_email_due",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="NotificationPreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("assigned", "Assigned to you"),
                            ("mentioned", "Mentioned in a note"),
                            ("changes_requested", "Changes requested"),
                            ("approved", "Your claim was approved"),
                            ("published", "Your claim was published"),
                            ("task_assigned", "A task assigned to you"),
                            ("source_broken", "A source of your fact-check broke"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("workspace", "In the workspace only"),
                            ("email", "E-mail at once"),
                            ("digest", "Daily digest"),
                        ],
                        default="email",
                        max_length=16,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("user", "kind"), name="notificationpreference_one_per_kind")
                ],
            },
        ),
    ]
