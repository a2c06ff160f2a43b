"""Django admin for the domain: staff see and edit only their own company's rows."""

from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, ManyToManyField, Model, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from events.models import (
    Collection,
    Company,
    Element,
    Group,
    Note,
    Survey,
    SurveyAnswer,
    Task,
    User,
    Workflow,
)

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec


def _user(request: HttpRequest) -> User:
    """The signed-in staff user: the admin site lets no one else in."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class CompanyScopedAdmin(admin.ModelAdmin[Any]):
    """Superusers see every company; other staff only their own, which new rows get."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if _user(request).is_superuser:
            return queryset
        return queryset.filter(company_id=_user(request).company_id)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str] | None:
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if _user(request).is_superuser else [*exclude, "company"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: Any) -> None:
        if not _user(request).is_superuser:
            obj.company_id = _user(request).company_id
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_field(field, db_field.related_model, request)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_field(field, db_field.related_model, request)


_Field = TypeVar("_Field", bound=ModelChoiceField[Any])


def _scope_field(field: _Field | None, related: type[Model] | str, request: HttpRequest) -> _Field | None:
    user = _user(request)
    if field is None or field.queryset is None or user.is_superuser or isinstance(related, str):
        return field
    if related is Company:
        field.queryset = field.queryset.filter(pk=user.company_id)
    elif any(f.name == "company" for f in related._meta.fields):
        field.queryset = field.queryset.filter(company_id=user.company_id)
    return field


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin[Company]):
    list_display = ["name", "id", "created_at"]
    search_fields = ["name", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Company]:
        queryset = super().get_queryset(request)
        user = _user(request)
        return queryset if user.is_superuser else queryset.filter(pk=user.company_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _user(request).is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Company | None = None) -> bool:
        return _user(request).is_superuser


@admin.register(User)
class UserAdmin(CompanyScopedAdmin, BaseUserAdmin[Any]):  # Any: its stubs want an AbstractUser
    ordering = ["email"]
    list_display = ["email", "names", "last_name", "job_title", "company", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active"]
    search_fields = ["email", "names", "last_name", "display_name"]
    filter_horizontal = ["properties", "groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["email", "password", "company"]}),
        (_("Name"), {"fields": ["names", "last_name", "second_last_name", "display_name"]}),
        (_("Profile"), {"fields": ["job_title", "phone", "avatar", "properties", "language"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "company", "password1", "password2"]})]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> "_FieldsetSpec":
        fieldsets = super().get_fieldsets(request, obj)
        if _user(request).is_superuser:
            return fieldsets
        hidden = {"company", "is_superuser", "groups", "user_permissions"}
        return [
            (title, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for title, opts in fieldsets
        ]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str] | None:
        return None


@admin.register(Workflow)
class WorkflowAdmin(CompanyScopedAdmin):
    list_display = ["name", "code", "is_active", "id"]
    search_fields = ["name", "code", "id"]


@admin.register(Group)
class GroupAdmin(CompanyScopedAdmin):
    list_display = ["name_display", "name_code", "is_active", "id"]
    search_fields = ["name_display", "name_code", "id"]


@admin.register(Survey)
class SurveyAdmin(CompanyScopedAdmin):
    list_display = ["name", "code", "is_active", "id"]
    search_fields = ["name", "code", "id"]


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(CompanyScopedAdmin):
    list_display = ["survey", "group", "answered_by", "created_at", "id"]
    list_select_related = ["survey", "group", "answered_by"]


@admin.register(Collection)
class CollectionAdmin(CompanyScopedAdmin):
    list_display = ["display", "code", "is_active", "id"]
    search_fields = ["display", "code", "id"]


@admin.register(Element)
class ElementAdmin(CompanyScopedAdmin):
    list_display = ["display", "code", "collection", "is_active", "id"]
    list_select_related = ["collection"]
    search_fields = ["display", "code", "id"]


@admin.register(Task)
class TaskAdmin(CompanyScopedAdmin):
    list_display = ["name", "workflow", "serial", "assignee", "is_active", "id"]
    list_select_related = ["workflow", "assignee"]
    list_filter = ["workflow", "is_active"]
    search_fields = ["name", "id"]
    filter_horizontal = ["followers"]


@admin.register(Note)
class NoteAdmin(CompanyScopedAdmin):
    list_display = ["title", "task", "created_by", "is_active", "id"]
    list_select_related = ["task", "created_by"]
    search_fields = ["title", "id"]
