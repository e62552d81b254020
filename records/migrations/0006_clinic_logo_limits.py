import django.core.validators
from django.db import migrations, models

import records.models.clinic


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0005_clinic_letterhead"),
    ]

    operations = [
        migrations.AlterField(
            model_name="clinic",
            name="logo",
            field=models.ImageField(
                blank=True,
                help_text="A PNG or JPEG image of at most 300 KB and 2000 × 2000 pixels.",
                upload_to="clinic-logos/",
                validators=[
                    django.core.validators.FileExtensionValidator(
                        ("png", "jpg", "jpeg"), message="The logo must be a PNG or JPEG image."
                    ),
                    records.models.clinic.logo_size_valid,
                    records.models.clinic.logo_image_valid,
                ],
            ),
        ),
    ]
