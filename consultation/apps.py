"""django.contrib.admin with the project's own admin site (consultation.admin) as `admin.site`."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Every app, django-otp's and axes' included, registers its models on OrganiserAdminSite."""

    default_site = "consultation.admin.OrganiserAdminSite"
