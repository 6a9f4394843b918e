"""What the running processes last said about themselves: the readiness check reads it."""

from __future__ import annotations

from django.db import models


class ProcessHeartbeat(models.Model):
    """One row per process role and host, overwritten each time the process reports that it runs."""

    class Role(models.TextChoices):
        BEAT = "beat", "Celery beat (the scheduler)"
        WORKER = "worker", "Celery worker"

    role = models.CharField(max_length=10, choices=Role.choices)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["role", "hostname"], name="heartbeat_one_per_role_and_host")]
        ordering = ["role", "hostname"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} on {self.hostname}"
