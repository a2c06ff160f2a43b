"""The Django admin for the domain is scoped to the staff user's company."""

import pytest

from events.models import Task, Workflow


@pytest.fixture
def admin_a_with_rights(admin_a):
    from django.contrib.auth.models import Permission

    admin_a.user_permissions.add(*Permission.objects.filter(content_type__app_label="events"))
    return admin_a


def test_staff_see_only_their_companys_tasks(client, admin_a_with_rights, workflow_a, company_b):
    workflow_b = Workflow.objects.create(company=company_b, name="B flow", code="b_flow")
    Task.objects.create(company=workflow_a.company, workflow=workflow_a, name="Task of A")
    Task.objects.create(company=company_b, workflow=workflow_b, name="Task of B")
    client.force_login(admin_a_with_rights)

    response = client.get("/admin/events/task/")

    assert response.status_code == 200
    assert "Task of A" in response.text
    assert "Task of B" not in response.text


def test_another_companys_task_is_not_found_in_the_admin(client, admin_a_with_rights, company_b):
    workflow_b = Workflow.objects.create(company=company_b, name="B flow", code="b_flow")
    task_b = Task.objects.create(company=company_b, workflow=workflow_b, name="Task of B")
    client.force_login(admin_a_with_rights)

    response = client.get(f"/admin/events/task/{task_b.pk}/change/")

    assert response.status_code == 302  # the admin redirects a missing object to its index
    assert Task.objects.get(pk=task_b.pk).name == "Task of B"


def test_a_task_added_in_the_admin_belongs_to_the_staff_users_company(
    client, admin_a_with_rights, workflow_a, company_b
):
    workflow_b = Workflow.objects.create(company=company_b, name="B flow", code="b_flow")
    client.force_login(admin_a_with_rights)

    form = client.get("/admin/events/task/add/")
    created = client.post(
        "/admin/events/task/add/", {"workflow": workflow_a.pk, "name": "From admin", "info": ""}
    )

    assert workflow_b.pk not in form.text  # only the company's workflows are offered
    assert created.status_code == 302
    assert Task.objects.get(name="From admin").company_id == admin_a_with_rights.company_id


def test_a_forged_workflow_of_another_company_is_refused(client, admin_a_with_rights, company_b):
    workflow_b = Workflow.objects.create(company=company_b, name="B flow", code="b_flow")
    client.force_login(admin_a_with_rights)

    response = client.post(
        "/admin/events/task/add/", {"workflow": workflow_b.pk, "name": "Forged", "info": ""}
    )

    assert response.status_code == 200  # the form is shown again with an error
    assert not Task.objects.filter(name="Forged").exists()
