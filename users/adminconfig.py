"""Django's admin app with the project's own default site (INSTALLED_APPS names this
class instead of "django.contrib.admin"), so `admin.site` is a `StaffAdminSite`."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "users.adminsite.StaffAdminSite"
