"""The audit trail's rows over the API (ADMIN only)."""

from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    target_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "created_at",
            "action",
            "actor",
            "actor_repr",
            "target_type",
            "target_id",
            "target_repr",
            "target_user",
            "changes",
            "note",
            "client_ip",
            "request_id",
        )
        read_only_fields = fields

    def get_target_type(self, event) -> str:
        return f"{event.target_type.app_label}.{event.target_type.model}"
