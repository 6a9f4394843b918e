"""Background export jobs, and the covering indexes the transparency report reads.

The indexes are PostgreSQL-only and live outside the models' state (the tables belong to
the reports and review apps): with them, every query of audit/transparency.py is an
index-only scan of one half-year's slice instead of a read of the tables.
"""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models

INDEXES = {
    "audit_transparency_request": (
        "reports_takedownrequest", "(exercise_id, submitted_at) INCLUDE (id, agency_id, category, requested_action, "
        "decided_at, review_round, court_name, court_case_number)"),
    "audit_transparency_decision": ("review_decision", "(request_id, round) INCLUDE (action)"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only'),
        ('reports', '0001_initial'),
        ('review', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ExportJob',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('format', models.CharField(choices=[('csv', 'CSV'), ('ndjson', 'NDJSON (one JSON object per line)')], max_length=10)),
                ('filters', models.JSONField(blank=True, default=dict)),
                ('personal_data', models.BooleanField(default=False)),
                ('status', models.CharField(choices=[('pending', 'Waiting for a worker'), ('running', 'Writing'), ('done', 'Ready to download'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('attempt', models.PositiveIntegerField(default=0)),
                ('rows_total', models.PositiveBigIntegerField(blank=True, null=True)),
                ('rows_done', models.PositiveBigIntegerField(default=0)),
                ('file_name', models.CharField(blank=True, max_length=100)),
                ('size', models.PositiveBigIntegerField(blank=True, help_text='Bytes.', null=True)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('error', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('exercise', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='reports.exercise')),
                ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['requested_by', '-created_at'], name='export_owner_recent')],
                'constraints': [models.CheckConstraint(condition=models.Q(('format__in', ['csv', 'ndjson'])), name='export_format_valid'), models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'running', 'done', 'failed'])), name='export_status_valid'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'done'), _negated=True), models.Q(('file_name', ''), _negated=True), _connector='OR'), name='export_done_has_file')],
            },
        ),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
