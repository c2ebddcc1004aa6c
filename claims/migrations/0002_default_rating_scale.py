from django.db import migrations


def create_default_scale(apps, schema_editor):
    from claims.defaults import ensure_default_scale

    ensure_default_scale(apps.get_model("claims", "RatingScale"), apps.get_model("claims", "Rating"))


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(create_default_scale, migrations.RunPython.noop)]
