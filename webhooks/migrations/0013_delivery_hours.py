"""The delivery statistics' hourly roll-up (webhooks.stats): DeliveryHour, one row per webhook and
UTC hour, and its single-row watermark. New tables only: the deliveries and their indexes, which
capture writes, are untouched. The periodic task fills them (its Schedule is ensured after migrate).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0012_log_filters'),
    ]

    operations = [
        migrations.CreateModel(
            name='DeliveryHourWatermark',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('rolled_until', models.DateTimeField(blank=True, null=True)),
                ('ran_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='DeliveryHour',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('hour', models.DateTimeField()),
                ('success', models.PositiveIntegerField(default=0)),
                ('failed', models.PositiveIntegerField(default=0)),
                ('pending', models.PositiveIntegerField(default=0)),
                ('durations', models.JSONField(default=list)),
                ('webhook', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='webhooks.webhook')),
            ],
            options={
                'indexes': [models.Index(fields=['hour'], name='delivery_hour_hour'), models.Index(condition=models.Q(('pending__gt', 0)), fields=['hour'], name='delivery_hour_pending')],
                'constraints': [models.UniqueConstraint(fields=('webhook', 'hour'), name='delivery_hour_unique')],
            },
        ),
    ]
