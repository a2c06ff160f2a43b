"""The Cotalker domain whose changes become webhook events.

Every row has a 24-hex ObjectId primary key (`_id` in payloads). The COT*
JSON shape of each model lives in `events/cot.py`.
"""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models, router, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from events.ids import new_object_id

# The code rule of webhooks and of Cotalker's other codes, written once (forms and the API use it).
code_validator = RegexValidator(r"^[a-z0-9_]{1,60}$", _("Use 1-60 lowercase letters, digits or underscores."))


def object_id_field() -> models.CharField:
    return models.CharField(
        primary_key=True, max_length=24, default=new_object_id, editable=False, verbose_name="ID"
    )


class Company(models.Model):
    id = object_id_field()
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CompanyOwned(models.Model):
    id = object_id_field()
    company = models.ForeignKey(Company, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SavedWithItsEvent:
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

    def save(self, *args, using: str | None = None, **kwargs) -> None:
        # The alias Model.save() will write to (positional arguments, deprecated by Django,
        # are passed on as they are).
        alias = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=alias, savepoint=False):
            super().save(*args, using=using, **kwargs)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(SavedWithItsEvent, AbstractBaseUser, PermissionsMixin):
    id = object_id_field()
    company = models.ForeignKey(Company, on_delete=models.CASCADE, null=True, blank=True)
    email = models.EmailField(unique=True)
    names = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    second_last_name = models.CharField(max_length=150, blank=True)
    display_name = models.CharField(max_length=300, blank=True)
    job_title = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    avatar = models.URLField(blank=True, help_text="URL of the original avatar image.")
    properties = models.ManyToManyField(
        "Element", blank=True, related_name="users", help_text="Elements assigned to the user."
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Staff can sign in to the panel and the Django admin."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name or self.email


class Workflow(CompanyOwned):
    """Cotalker's COTTaskGroup, labelled "Workflow" in the webhook form."""

    name = models.CharField(max_length=200)
    code = models.CharField(max_length=60, validators=[code_validator])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="workflow_code_unique")]

    def __str__(self) -> str:
        return self.name


class Group(CompanyOwned):
    """Cotalker's COTGroup: where survey answers are submitted."""

    name_code = models.CharField(max_length=60, validators=[code_validator])
    name_display = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name_display"]
        constraints = [models.UniqueConstraint(fields=["company", "name_code"], name="group_code_unique")]

    def __str__(self) -> str:
        return self.name_display


class Survey(CompanyOwned):
    code = models.CharField(max_length=60, validators=[code_validator])
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="survey_code_unique")]

    def __str__(self) -> str:
        return self.name


class SurveyAnswer(SavedWithItsEvent, CompanyOwned):
    """One submitted survey: Cotalker's COTSurveyExecution."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="survey_answers")
    answered_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="survey_answers"
    )
    answers = models.JSONField(
        default=list, blank=True, help_text='A list such as [{"question": "...", "answer": "..."}].'
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.survey} in {self.group}"


class Collection(CompanyOwned):
    """Cotalker's COTPropertyType: a table of elements."""

    code = models.CharField(max_length=60, validators=[code_validator])
    display = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="collection_code_unique")]

    def __str__(self) -> str:
        return self.display


class Element(SavedWithItsEvent, CompanyOwned):
    """Cotalker's COTProperty: one row of a collection."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="elements")
    code = models.CharField(max_length=60, validators=[code_validator])
    display = models.CharField(max_length=200)
    schema_instance = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display"]
        constraints = [models.UniqueConstraint(fields=["company", "code"], name="element_code_unique")]

    def __str__(self) -> str:
        return self.display


class Task(SavedWithItsEvent, CompanyOwned):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="tasks")
    name = models.CharField(max_length=300)
    info = models.TextField(blank=True)
    serial = models.PositiveIntegerField(editable=False, default=0)
    assignee = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tasks"
    )
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="created_tasks"
    )
    followers = models.ManyToManyField(User, blank=True, related_name="followed_tasks")
    status = models.ForeignKey(Element, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["workflow", "serial"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Read before SavedWithItsEvent's transaction opens: a plain read, it needs no lock.
        if not self.serial:
            last = Task.objects.filter(workflow_id=self.workflow_id).aggregate(Max("serial"))
            self.serial = (last["serial__max"] or 0) + 1
        super().save(*args, **kwargs)


class Note(SavedWithItsEvent, CompanyOwned):
    title = models.CharField(max_length=300)
    description = models.CharField(max_length=500, blank=True)
    content = models.TextField(blank=True, help_text="Markdown.")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="notes")
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title
