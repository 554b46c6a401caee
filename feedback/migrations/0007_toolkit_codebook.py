"""The default theme code book: the Toolkit's 5 core and 18 instrumental principles for responsible AI.

The team's fact sheet says 18 instrumental principles but its table lists 17, joining "Transparency and
explainability" in one cell; they are two principles here, which gives the 18 the Toolkit names.
"""

from django.db import migrations

NAME = "Toolkit principles for responsible AI innovation"
PRINCIPLES = [
    ("Lawfulness", ["Legitimacy", "Necessity", "Proportionality"]),
    (
        "Minimization of harm",
        ["Human and environmental well-being", "Robustness and safety", "Accuracy", "Efficiency"],
    ),
    (
        "Human autonomy",
        ["Human agency", "Human control and oversight", "Privacy", "Transparency", "Explainability"],
    ),
    (
        "Fairness",
        [
            "Equality and non-discrimination",
            "Diversity and accessibility",
            "Protection of vulnerable groups",
            "Contestability and redress",
        ],
    ),
    ("Good governance", ["Accountability", "Traceability and auditability"]),
]


def load(apps, schema_editor):
    Codebook = apps.get_model("feedback", "Codebook")
    Theme = apps.get_model("feedback", "Theme")
    codebook, _created = Codebook.objects.get_or_create(
        name=NAME,
        defaults={
            "description": "Core principles (1-5) and the instrumental principles under each (e.g. 1.2), "
            "from the Toolkit for Responsible AI Innovation in Law Enforcement."
        },
    )
    for number, (core, instrumental) in enumerate(PRINCIPLES, start=1):
        parent, _created = Theme.objects.get_or_create(
            codebook=codebook, code=str(number), defaults={"name": core}
        )
        for sub, name in enumerate(instrumental, start=1):
            Theme.objects.get_or_create(
                codebook=codebook, code=f"{number}.{sub}", defaults={"name": name, "parent": parent}
            )


def unload(apps, schema_editor):
    Codebook = apps.get_model("feedback", "Codebook")
    Theme = apps.get_model("feedback", "Theme")
    Theme.objects.filter(codebook__name=NAME, parent__isnull=False).delete()
    Theme.objects.filter(codebook__name=NAME).delete()
    Codebook.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("feedback", "0006_roles")]

    operations = [migrations.RunPython(load, unload)]
