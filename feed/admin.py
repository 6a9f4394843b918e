"""Webhook subscriptions (administrators manage them) and the delivery log (read-only, for everyone allowed)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.utils.html import format_html

from audit.admin import ReadOnlyAdmin
from feed.models import WebhookDelivery, WebhookSubscription


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("url", "owner", "exercise", "topic_list", "active", "created_at")
    list_filter = ("active",)
    list_select_related = ("owner", "exercise")
    fields = ("url", "owner", "exercise", "topics", "active", "start_index", "secret_shown", "created_at")
    readonly_fields = ("secret_shown", "created_at")
    # Receivers are told with their scheme; a bare host is taken as https, as Django 6 will.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Topics")
    def topic_list(self, obj):
        return ", ".join(obj.topics)

    @admin.display(description="Signing secret")
    def secret_shown(self, obj):
        if obj.pk is None:
            return "Generated when you save; give it to the receiver to check the CRS-Signature header."
        return format_html("<code>{}</code>", obj.secret)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "topic", "event_id", "subscription", "status", "attempts", "last_status_code",
                    "last_error", "next_attempt_at", "delivered_at")
    list_filter = ("status", "topic")
    list_select_related = ("subscription",)
    search_fields = ("event_id",)
    fields = ("subscription", "event_id", "topic", "log_index", "status", "attempts", "last_attempt_at",
              "last_status_code", "last_error", "next_attempt_at", "delivered_at", "created_at", "body")
    readonly_fields = fields
