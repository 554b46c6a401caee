"""Every existing resource gets version 1, holding its sections; every existing comment points at it. A
section's number is its position, and a section comment stays a comment on that section with no paragraph."""

from django.db import migrations
from django.db.models import F
from django.db.models.functions import Cast


def forwards(apps, schema_editor):
    Resource = apps.get_model("feedback", "Resource")
    ResourceVersion = apps.get_model("feedback", "ResourceVersion")
    ResourceSection = apps.get_model("feedback", "ResourceSection")
    Comment = apps.get_model("feedback", "Comment")
    for resource in Resource.objects.all().iterator():
        version, _created = ResourceVersion.objects.get_or_create(resource=resource, number=1)
        ResourceSection.objects.filter(resource=resource, version__isnull=True).update(version=version)
        Comment.objects.filter(resource=resource, version__isnull=True).update(version=version)
    ResourceSection.objects.filter(number="").update(
        number=Cast(F("position"), output_field=ResourceSection._meta.get_field("number"))
    )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0018_drafts_as_documents")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
