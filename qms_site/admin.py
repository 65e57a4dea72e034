from django.contrib import admin


class QmsAdminSite(admin.AdminSite):
    """Only improvement managers and superusers reach the admin."""

    site_header = "QMS Coach administration"
    site_title = "QMS Coach admin"
    index_title = "Programme data"

    def has_permission(self, request) -> bool:
        from core.roles import is_manager

        user = request.user
        return bool(user.is_active and user.is_staff and is_manager(user))
