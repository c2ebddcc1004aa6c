"""Forms that collect what a workflow transition needs (note, assignee, time...)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from claims.review.roles import REVIEWERS
from claims.review.workflow import Transition

NOTE_LABELS = {
    "dismiss": "Reason for dismissing",
    "request_changes": "What needs to change",
    "correct": "What is wrong (internal; the public note goes on the corrected verdict)",
    "retract": "Public reason for the retraction",
}


def _field(name: str, transition: Transition) -> forms.Field:
    if name == "note":
        return forms.CharField(
            label=NOTE_LABELS.get(transition.action, "Note"),
            widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
            max_length=5000,
        )
    if name == "assignee":
        reviewers = get_user_model().objects.filter(groups__name=REVIEWERS, is_active=True).order_by("username")
        return forms.ModelChoiceField(label="Reviewer", queryset=reviewers)
    if name == "publish_at":
        return forms.DateTimeField(
            label="Publish at",
            help_text="Leave empty to publish now; a future time holds the fact-check under embargo until then.",
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        )
    if name == "duplicate_of":
        return forms.IntegerField(label="Canonical claim #", min_value=1)
    raise ValueError(f"no form field for {name!r}")


class TransitionForm(forms.Form):
    """The fields one transition needs; prefixed with the action so several fit on a page."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, transition: Transition, *args, with_version: bool = True, **kwargs):
        kwargs.setdefault("prefix", transition.action)
        super().__init__(*args, **kwargs)
        self.transition = transition
        if not with_version:
            del self.fields["expected_version"]
        for name in transition.fields:
            field = _field(name, transition)
            field.required = name in transition.required
            self.fields[name] = field

    def workflow_values(self) -> dict:
        values = {name: self.cleaned_data.get(name) for name in self.transition.fields}
        if "note" in values:
            values["note"] = values["note"] or ""
        return values
