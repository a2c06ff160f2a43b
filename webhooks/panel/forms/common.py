"""What the panel's forms share."""

from django.utils.translation import gettext_lazy as _

INVALID_CHOICE = _("Select a valid choice. That choice is not one of the available choices.")
