from django.db import migrations


class Migration(migrations.Migration):
    # Reserved for work landing in parallel, so the order of migrations is fixed up front;
    # the work it is named after fills in its operations.
    dependencies = [("claims", "0022_monitoring")]

    operations = []
