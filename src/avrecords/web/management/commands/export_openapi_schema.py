"""`avrecords export_openapi_schema`: django-ninja's command, kept now that ninja is no
installed app (settings, issue 22 §1)."""

from ninja.management.commands.export_openapi_schema import Command  # noqa: F401
