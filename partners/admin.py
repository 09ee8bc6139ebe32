from django.contrib import admin

from .models import ApiClient, ImportJob


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "access", "token_prefix", "revoked_at", "last_used_at"]
    list_filter = ["access", "institution"]
    readonly_fields = ["user", "token_hash", "token_prefix", "created_by", "last_used_at"]

    def has_add_permission(self, request: object) -> bool:
        # Tokens are shown once, by the api_client_create command.
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "institution", "kind", "status", "total_rows", "processed_rows"]
    list_filter = ["kind", "status"]
    readonly_fields = [field.name for field in ImportJob._meta.fields]
