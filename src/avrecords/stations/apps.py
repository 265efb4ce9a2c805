from django.apps import AppConfig


class StationsConfig(AppConfig):
    """采集站 (issue 19 §1, §4): stations as first-class objects with their own credential,
    the agent's API, their health and the cameras they refused. It sits directly above
    recordings: it reads what stations ingested; nothing below it knows it."""

    name = "avrecords.stations"
    verbose_name = "采集站"

    def ready(self):
        from avrecords.jobs import periodic
        from avrecords.stations import silence, worklist_sources

        worklist_sources.register()  # 待办: silent stations, refused cameras
        periodic.register("stations.silence", silence.report_silent_stations)
