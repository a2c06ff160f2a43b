"""Django admin for the domain: staff see and edit only their own company's rows."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
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


class CompanyScopedAdmin(admin.ModelAdmin):
    """Superusers see every company; other staff only their own, which new rows get."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(company_id=request.user.company_id)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if request.user.is_superuser else [*exclude, "company"]

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.company_id = request.user.company_id
        super().save_model(request, obj, form, change)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_field(field, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_field(field, db_field, request)


def _scope_field(field, db_field, request):
    related = db_field.related_model
    if field is not None and not request.user.is_superuser:
        if related is Company:
            field.queryset = field.queryset.filter(pk=request.user.company_id)
        elif any(f.name == "company" for f in related._meta.fields):
            field.queryset = field.queryset.filter(company_id=request.user.company_id)
    return field


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "created_at"]
    search_fields = ["name", "id"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(pk=request.user.company_id)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(User)
class UserAdmin(CompanyScopedAdmin, BaseUserAdmin):
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

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"company", "is_superuser", "groups", "user_permissions"}
        return [
            (title, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for title, opts in fieldsets
        ]

    def get_exclude(self, request, obj=None):
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
