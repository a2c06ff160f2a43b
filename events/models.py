"""The Cotalker domain whose changes become webhook events.

Every row has a 24-hex ObjectId primary key (`_id` in payloads). The COT*
JSON shape of each model lives in `events/cot.py`.
"""

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models, router, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from events.ids import new_object_id

# The code rule of webhooks and of Cotalker's other codes, written once (forms and the API use it).
code_validator = RegexValidator(r"^[a-z0-9_]{1,60}$", _("Use 1-60 lowercase letters, digits or underscores."))


def object_id_field() -> "models.CharField[str, str]":
    return models.CharField(
        primary_key=True, max_length=24, default=new_object_id, editable=False, verbose_name="ID"
    )


class Company(models.Model):
    id = object_id_field()
    name = models.CharField(max_length=200, verbose_name=_("name"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CompanyOwned(models.Model):
    id = object_id_field()
    company = models.ForeignKey(Company, on_delete=models.CASCADE, verbose_name=_("company"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    modified_at = models.DateTimeField(auto_now=True, verbose_name=_("modified at"))

    class Meta:
        abstract = True


if TYPE_CHECKING:
    # A mixin of models, before Model in their MRO: its super().save() is Model.save().
    _SavedBase = models.Model
else:
    _SavedBase = object


class SavedWithItsEvent(_SavedBase):
    """A tracked model (`events.cot.KINDS`): its save() and the event capture writes for it
    commit together, or not at all, whatever the caller's transaction state.

    Capture writes the event (and a subscriber its outbox rows) in `post_save`, which Django
    sends after the row's statement but outside any transaction of the save's own (save_base()
    opens one only for models with concrete parents). In autocommit the row would commit on
    its own and the event in a second transaction: a connection lost in between would leave a
    committed change that no webhook hears about. `savepoint=False`: inside the caller's
    transaction this only joins it (no SAVEPOINT); in autocommit the row, its event and its
    deliveries are one transaction, one commit instead of two.

    delete() and many-to-many add/remove/set/clear need nothing: Django already sends their
    signals inside `atomic(savepoint=False)` (Collector.delete(), the related managers).
    """

    def save(self, *args: Any, using: str | None = None, **kwargs: Any) -> None:
        # The alias Model.save() will write to (positional arguments, deprecated by Django,
        # are passed on as they are).
        alias = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=alias, savepoint=False):
            super().save(*args, using=using, **kwargs)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        if not email:
            raise ValueError("Users need an email address")
        user: User = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


# The ignore: webhooks.ApiToken (related_name auth_token_set) subclasses django-rest-knox's model,
# which has no types, so django-stubs cannot build the reverse manager.
class User(SavedWithItsEvent, AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    id = object_id_field()
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("company")
    )
    email = models.EmailField(unique=True, verbose_name=_("email"))
    names = models.CharField(max_length=150, blank=True, verbose_name=_("names"))
    last_name = models.CharField(max_length=150, blank=True, verbose_name=_("last name"))
    second_last_name = models.CharField(max_length=150, blank=True, verbose_name=_("second last name"))
    display_name = models.CharField(max_length=300, blank=True, verbose_name=_("display name"))
    job_title = models.CharField(max_length=150, blank=True, verbose_name=_("job title"))
    phone = models.CharField(max_length=50, blank=True, verbose_name=_("phone"))
    avatar = models.URLField(
        blank=True, help_text=_("URL of the original avatar image."), verbose_name=_("avatar")
    )
    properties: "models.ManyToManyField[Element, Any]" = models.ManyToManyField(
        "Element",
        blank=True,
        related_name="users",
        help_text=_("Elements assigned to the user."),
        verbose_name=_("properties"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    is_staff = models.BooleanField(
        default=False,
        help_text=_("Staff can sign in to the panel and the Django admin."),
        verbose_name=_("is staff"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    modified_at = models.DateTimeField(auto_now=True, verbose_name=_("modified at"))
    # The language the user last used the panel in (webhooks.panel.middleware), for what is sent
    # to them outside a request (alert emails); empty: never seen, LANGUAGE_CODE. Not in COTUser.
    language = models.CharField(
        max_length=10, blank=True, default="", choices=settings.LANGUAGES, verbose_name=_("language")
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email

    def language_remember(self, language: str) -> None:
        """Keep the language the user reads the panel in (for alert emails). A QuerySet.update():
        no COTUser edit, and no write when it has not changed."""
        if language in dict(settings.LANGUAGES) and language != self.language:
            User.objects.filter(pk=self.pk).update(language=language)
            self.language = language


class Workflow(CompanyOwned):
    """Cotalker's COTTaskGroup, labelled "Workflow" in the webhook form."""

    name = models.CharField(max_length=200, verbose_name=_("name"))
    code = models.CharField(max_length=60, validators=[code_validator], verbose_name=_("code"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="workflow_code_unique")]

    def __str__(self) -> str:
        return self.name


class Group(CompanyOwned):
    """Cotalker's COTGroup: where survey answers are submitted."""

    name_code = models.CharField(max_length=60, validators=[code_validator], verbose_name=_("name code"))
    name_display = models.CharField(max_length=200, verbose_name=_("name display"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["name_display"]
        constraints = [models.UniqueConstraint(fields=["company", "name_code"], name="group_code_unique")]

    def __str__(self) -> str:
        return self.name_display


class Survey(CompanyOwned):
    code = models.CharField(max_length=60, validators=[code_validator], verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="survey_code_unique")]

    def __str__(self) -> str:
        return self.name


class SurveyAnswer(SavedWithItsEvent, CompanyOwned):
    """One submitted survey: Cotalker's COTSurveyExecution."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="answers", verbose_name=_("survey")
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="survey_answers", verbose_name=_("group")
    )
    answered_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_answers",
        verbose_name=_("answered by"),
    )
    answers = models.JSONField(
        default=list,
        blank=True,
        help_text=_('A list such as [{"question": "...", "answer": "..."}].'),
        verbose_name=_("answers"),
    )

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.survey} in {self.group}"


class Collection(CompanyOwned):
    """Cotalker's COTPropertyType: a table of elements."""

    code = models.CharField(max_length=60, validators=[code_validator], verbose_name=_("code"))
    display = models.CharField(max_length=200, verbose_name=_("display"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["display"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="collection_code_unique")]

    def __str__(self) -> str:
        return self.display


class Element(SavedWithItsEvent, CompanyOwned):
    """Cotalker's COTProperty: one row of a collection."""

    collection = models.ForeignKey(
        Collection, on_delete=models.CASCADE, related_name="elements", verbose_name=_("collection")
    )
    code = models.CharField(max_length=60, validators=[code_validator], verbose_name=_("code"))
    display = models.CharField(max_length=200, verbose_name=_("display"))
    schema_instance = models.JSONField(default=dict, blank=True, verbose_name=_("schema instance"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("element")
        verbose_name_plural = _("elements")
        ordering = ["display"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="element_code_unique")]

    def __str__(self) -> str:
        return self.display


class Task(SavedWithItsEvent, CompanyOwned):
    workflow = models.ForeignKey(
        Workflow, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("workflow")
    )
    name = models.CharField(max_length=300, verbose_name=_("name"))
    info = models.TextField(blank=True, verbose_name=_("info"))
    serial = models.PositiveIntegerField(editable=False, default=0, verbose_name=_("serial"))
    assignee = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        verbose_name=_("assignee"),
    )
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="created_tasks",
        verbose_name=_("created by"),
    )
    followers = models.ManyToManyField(
        User, blank=True, related_name="followed_tasks", verbose_name=_("followers")
    )
    status = models.ForeignKey(
        Element, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("status")
    )
    start_date = models.DateTimeField(null=True, blank=True, verbose_name=_("start date"))
    end_date = models.DateTimeField(null=True, blank=True, verbose_name=_("end date"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["workflow", "serial"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, using: str | None = None, **kwargs: Any) -> None:
        alias = using or router.db_for_write(type(self), instance=self)
        # SavedWithItsEvent's transaction, opened here (it joins it): the serial is taken and
        # the row inserted in one transaction.
        with transaction.atomic(using=alias, savepoint=False):
            if not self.serial:
                self.serial = self._serial_next(alias)
            super().save(*args, using=using, **kwargs)

    def _serial_next(self, alias: str) -> int:
        """The workflow's next serial. Its row stays locked until this transaction ends, so two
        concurrent creates in one workflow take turns: the second reads the MAX after the first
        commits. (On SQLite every write transaction is IMMEDIATE: they already take turns.)"""
        Workflow.objects.using(alias).select_for_update().filter(pk=self.workflow_id).values_list(
            "pk"
        ).first()
        last = Task.objects.using(alias).filter(workflow_id=self.workflow_id).aggregate(Max("serial"))
        return (last["serial__max"] or 0) + 1


class Note(SavedWithItsEvent, CompanyOwned):
    title = models.CharField(max_length=300, verbose_name=_("title"))
    description = models.CharField(max_length=500, blank=True, verbose_name=_("description"))
    content = models.TextField(blank=True, help_text=_("Markdown."), verbose_name=_("content"))
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, null=True, blank=True, related_name="notes", verbose_name=_("task")
    )
    created_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("created by"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
