"""The logs' filters: each event keeps the `_id` of the object it is about (`subject_id`),
searchable per company through the (company, subject_id) index, which also replaces the
company foreign key's own index (one index more per event would cost capture a write);
and a partial (webhook, status_code, id) index for the status filter, which a delivery
enters only when an attempt is recorded (capture writes none).

Existing events get their subject from their stored body, a batch of ids at a time, in
their own short transactions (the migration is not atomic), before the index is built.
"""

from django.db import migrations, models

BATCH = 10_000

# The subject of a stored body: data._id, or a logout's extraData.userId; "" otherwise.
SUBJECT_SQL = {
    "postgresql": """
        UPDATE webhooks_event SET subject_id = COALESCE(
            (SELECT s #>> '{}' FROM (SELECT COALESCE(b #> '{data,_id}',
                    CASE WHEN type = 'Auth' THEN b #> '{extraData,userId}' END) AS s
                 FROM (SELECT body::jsonb AS b) AS j) AS v
             WHERE jsonb_typeof(s) = 'string' AND length(s #>> '{}') <= 24), '')
        WHERE id >= %s AND id < %s AND body LIKE '{%%'
    """,
    "sqlite": """
        UPDATE webhooks_event SET subject_id = COALESCE(
            (SELECT s FROM (SELECT COALESCE(json_extract(body, '$.data._id'),
                    CASE WHEN type = 'Auth' THEN json_extract(body, '$.extraData.userId') END) AS s)
             WHERE typeof(s) = 'text' AND length(s) <= 24), '')
        WHERE id >= %s AND id < %s AND json_valid(body)
    """,
}


def subjects_fill(apps, schema_editor):
    connection = schema_editor.connection
    Event = apps.get_model("webhooks", "Event")
    sql = SUBJECT_SQL.get(connection.vendor)
    if sql is None:  # another database: new events only are searchable
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT MIN(id), MAX(id) FROM webhooks_event")
        low, high = cursor.fetchone()
    if low is None:
        return
    for start in range(low, high + 1, BATCH):
        with connection.cursor() as cursor:
            cursor.execute(sql, [start, start + BATCH])
    assert Event._meta.db_table == "webhooks_event"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("events", "0001_initial"),
        ("webhooks", "0011_capture_cost"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="subject_id",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=24),
        ),
        migrations.RunPython(subjects_fill, migrations.RunPython.noop, atomic=False),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["company", "subject_id"], name="event_company_subject"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("status_code__isnull", False)),
                fields=["webhook", "status_code", "id"],
                name="delivery_status",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="company",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to="events.company",
            ),
        ),
    ]
