"""Checkpoints remember the origin they were signed under; witnesses' cosignatures and state.

Checkpoints signed before this migration were signed over exactly the text a C2SP
checkpoint note carries, under the origin configured then. Each one's origin is found
by checking its signature against the candidates (the configured CRS_LOG_ORIGIN, the
previous default): the first that verifies is stored, so every old checkpoint stays a
valid signed note under its own name.
"""

import base64
import os
from datetime import UTC

import django.db.models.deletion
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import migrations, models

PREVIOUS_DEFAULT_ORIGIN = "crs-simulator/transparency-log"


def _body(origin, checkpoint) -> bytes:
    moment = checkpoint.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    root = base64.b64encode(bytes(checkpoint.root_hash)).decode()
    return f"{origin}\n{checkpoint.tree_size}\n{root}\n{moment}\n".encode()


def _verifies(origin, checkpoint) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes(checkpoint.public_key)).verify(bytes(checkpoint.signature),
                                                                               _body(origin, checkpoint))
    except (InvalidSignature, ValueError):
        return False
    return True


def origins_find(apps, schema_editor):
    configured = os.environ.get("CRS_LOG_ORIGIN", "")
    if not configured or configured == PREVIOUS_DEFAULT_ORIGIN:
        return  # the column's default is already the origin every old checkpoint was signed under
    Checkpoint = apps.get_model("audit", "Checkpoint")
    renamed = [c.tree_size for c in Checkpoint.objects.all() if not _verifies(PREVIOUS_DEFAULT_ORIGIN, c)
               and _verifies(configured, c)]
    if not renamed:
        return
    # Checkpoints are append-only (migration 0005); this one-time fill of a new column is the exception.
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute("ALTER TABLE audit_checkpoint DISABLE TRIGGER audit_checkpoint_append_only")
    Checkpoint.objects.filter(tree_size__in=renamed).update(origin=configured)
    if postgresql:
        schema_editor.execute("ALTER TABLE audit_checkpoint ENABLE TRIGGER audit_checkpoint_append_only")


def cosignatures_append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE TRIGGER audit_cosignature_append_only BEFORE UPDATE OR DELETE ON "
                              "audit_cosignature FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();")


def cosignatures_append_only_undo(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_cosignature_append_only ON audit_cosignature;")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_log_append_only'),
    ]

    operations = [
        migrations.CreateModel(
            name='WitnessState',
            fields=[
                ('name', models.CharField(max_length=200, primary_key=True, serialize=False)),
                ('cosigned_size', models.BigIntegerField(default=0, help_text='The largest tree size this witness cosigned.')),
                ('cosigned_at', models.DateTimeField(blank=True, null=True)),
                ('witness_size', models.BigIntegerField(default=0)),
                ('last_error', models.TextField(blank=True)),
                ('last_error_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name='checkpoint',
            name='origin',
            field=models.CharField(default=PREVIOUS_DEFAULT_ORIGIN, max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(origins_find, migrations.RunPython.noop),
        migrations.CreateModel(
            name='Cosignature',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('witness', models.CharField(help_text="The witness's key name.", max_length=200)),
                ('key_id', models.BinaryField(max_length=4)),
                ('cosigned_at', models.BigIntegerField(help_text="The witness's time, UNIX seconds.")),
                ('signature', models.BinaryField(max_length=64)),
                ('checkpoint', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cosignatures', to='audit.checkpoint')),
            ],
            options={
                'ordering': ['checkpoint_id', 'witness'],
                'constraints': [models.UniqueConstraint(fields=('checkpoint', 'witness'), name='cosignature_once')],
            },
        ),
        migrations.RunPython(cosignatures_append_only, cosignatures_append_only_undo),
    ]
