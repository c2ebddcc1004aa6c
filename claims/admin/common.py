"""What the workspace's pages share: URL fields, read-only inlines, the language filter, and the lock on a claim's record once review starts."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.db import models
from django.http import HttpResponseRedirect

from claims.review import editing, workflow


class LabelledSplitDateTime(widgets.AdminSplitDateTime):
    """The admin's date and time boxes, each with a name a screen reader can announce.

    Django labels the pair, with a <label> pointing at neither box; axe-core counts both unlabelled.
    """

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets[0].attrs["aria-label"] = "Date"
        self.widgets[1].attrs["aria-label"] = "Time"


class LabelledAutocompleteSelect(widgets.AutocompleteSelect):
    """An autocomplete box that says what it is for while it is empty.

    Django's gives select2 an empty placeholder, so an empty box has no name a
    screen reader can announce (axe-core: aria-input-field-name).
    """

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["data-placeholder"] = f"Search {self.field.related_model._meta.verbose_name_plural}…"
        return attrs


class LabelledAutocompleteMixin:
    """The autocomplete_fields of a ModelAdmin with LabelledAutocompleteSelect boxes."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = LabelledAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HttpsURLsMixin:
    # Bare host names typed into URL fields get https://, not http://; date-times get labelled boxes.
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.DateTimeField: {"widget": LabelledSplitDateTime},
    }


class ReadOnlyAdminMixin:
    """A list to read and act on with its actions, never a form: no add, change or delete page."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin:
    can_delete = False
    extra = 0
    show_change_link = True
    # "View on site" would be Claim.get_absolute_url, the admin page the change link already opens.
    view_on_site = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefusalsAsMessagesMixin:
    """A change the editing services refuse (the claim moved on meanwhile, or the
    user may not change it) is shown as a message on the page, nothing saved."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except workflow.WorkflowError as exc:
            self.message_user(request, f"Nothing was saved: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except workflow.WorkflowError as exc:
            self.message_user(request, f"Nothing was deleted: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class LanguageFilter(admin.SimpleListFilter):
    """The desk's languages from settings: listing the distinct languages in
    the table would scan every claim on every page load."""

    title = "language"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        from django.conf import settings
        from django.utils.translation import get_language_info

        choices = []
        for code in settings.FACTCHECK_LANGUAGES:
            try:
                choices.append((code, get_language_info(code)["name"]))
            except KeyError:
                choices.append((code, code))
        return choices

    def queryset(self, request, queryset):
        return queryset.filter(language=self.value()) if self.value() else queryset


class EditableRecordInlineMixin:
    """Rows of a claim's record (sources, draft): changeable only by who may change the claim, while it may change."""

    def has_add_permission(self, request, obj=None):
        return editing.may_edit(obj, request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return editing.may_edit(obj, request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return editing.may_edit(obj, request.user) and super().has_delete_permission(request, obj)


def _clip(text: str, length: int = 90) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
