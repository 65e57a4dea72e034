from django.contrib.admin.apps import AdminConfig


class QmsAdminConfig(AdminConfig):
    """The admin, with the site's own admin site; and, as the one app config qms_site has, what
    the site checks at startup (qms_site.checks)."""

    default_site = "qms_site.admin.QmsAdminSite"

    def ready(self) -> None:
        super().ready()
        from . import checks  # noqa: F401 - registers the site's system checks
