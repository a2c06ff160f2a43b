"""The settings page's request headers: a formset of rows (name, value, and "remove" once
stored), posted as header_name_N, header_value_N and header_remove_N."""

import re
from dataclasses import dataclass
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT, ManagementForm
from django.utils.translation import gettext_lazy as _

from webhooks.rules import (
    HEADERS_MAX,
)

HEADER_NAME_REQUIRED = _("Give the header's name.")
# Blank rows offered for new custom headers, below the stored ones.
HEADER_BLANK_ROWS = 2
HEADER_ROW = re.compile(r"^header_name_(\d+)$")


class HeaderForm(forms.Form):
    """One row of custom request headers. Its fields are posted as header_name_N, header_value_N
    and header_remove_N, the names the panel has always used (no management form to forge)."""

    name = forms.CharField(
        label=_("Header name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # Never rendered back: a value is write-only once saved.
    value = forms.CharField(label=_("Header value"), required=False, strip=False, widget=forms.PasswordInput)
    remove = forms.BooleanField(label=_("Remove"), required=False)

    def __init__(self, *args, index: int, stored: bool, **kwargs):
        self.index, self.stored = index, stored
        super().__init__(*args, **kwargs)
        self.fields["value"].widget.attrs.update(
            {"autocomplete": "new-password", "placeholder": _("Unchanged") if stored else _("Value")}
        )
        if not stored:
            del self.fields["remove"]

    def add_prefix(self, field_name: str) -> str:
        return f"header_{field_name}_{self.index}"

    def header(self) -> tuple[str, str | None] | None:
        """(name, value) of the row, the value None to keep a stored one; None for no header."""
        data = self.cleaned_data
        name, value = (data.get("name") or "").strip(), data.get("value") or ""
        if data.get("remove") or not (name or value):
            return None
        if not name:
            self.add_error("name", ValidationError(HEADER_NAME_REQUIRED, code="required"))
            return None
        return name, value.strip() or None


class HeaderFormSet(forms.BaseFormSet):
    """The rows: the stored headers (by name), two blank ones, and any a browser added. The row
    count comes from the posted names, so a post needs no management form."""

    def __init__(self, data=None, *, stored_names: list[str], **kwargs):
        self.stored_names = stored_names
        rows = len(stored_names) + HEADER_BLANK_ROWS
        if data is not None:  # rows a browser added beyond the usual ones
            posted = [int(m.group(1)) for key in data if (m := HEADER_ROW.match(key))]
            rows = min(max([rows, *(index + 1 for index in posted)]), HEADERS_MAX + HEADER_BLANK_ROWS)
        self.rows = rows
        initial = [{"name": name} for name in stored_names]
        super().__init__(data, initial=initial, prefix="header", **kwargs)

    @property
    def management_form(self) -> ManagementForm:
        counts = {TOTAL_FORM_COUNT: self.rows, INITIAL_FORM_COUNT: len(self.stored_names)}
        form = ManagementForm(
            {f"{self.prefix}-{key}": value for key, value in counts.items()}, prefix=self.prefix
        )
        form.full_clean()
        return form

    def total_form_count(self) -> int:
        return self.rows

    def initial_form_count(self) -> int:
        return len(self.stored_names)

    def get_form_kwargs(self, index: int | None) -> dict:
        if index is None:  # the empty form (a template for new rows): a blank row
            return {"index": len(self.stored_names), "stored": False}
        return {"index": index, "stored": index < len(self.stored_names)}

    def headers(self) -> dict[str, str | None]:
        """name → value; an empty value keeps a stored header's value (None). Call after is_valid()."""
        rows = (form.header() for form in self.forms if hasattr(form, "cleaned_data"))
        return dict(row for row in rows if row is not None)


HeaderRows = cast(type[HeaderFormSet], forms.formset_factory(HeaderForm, formset=HeaderFormSet, extra=0))


@dataclass
class HeaderRow:
    number: int
    name: forms.BoundField
    value: forms.BoundField
    remove: forms.BoundField | None
