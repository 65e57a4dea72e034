from django.contrib.admin.apps import AdminConfig


class QmsAdminConfig(AdminConfig):
    default_site = "qms_site.admin.QmsAdminSite"
