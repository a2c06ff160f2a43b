"""A webhook's ordering mode (`webhook`, the default and the behaviour so far, or `object`) and
maxInFlight; `per_object_after` marks what was queued before a switch to `object` mode."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0014_webhook_subscription'),
    ]

    operations = [
        migrations.AddField(
            model_name='webhook',
            name='max_in_flight',
            field=models.PositiveSmallIntegerField(default=4, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(16)]),
        ),
        migrations.AddField(
            model_name='webhook',
            name='ordering',
            field=models.CharField(choices=[('webhook', 'Webhook: one at a time, in order'), ('object', 'Object: in order per object, several objects at once')], default='webhook', max_length=10),
        ),
        migrations.AddField(
            model_name='webhook',
            name='per_object_after',
            field=models.BigIntegerField(default=0, editable=False),
        ),
    ]
