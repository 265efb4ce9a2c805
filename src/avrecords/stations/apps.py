from django.apps import AppConfig


def _report_silent_stations():
    # imports its module when the worker's reaper first runs it: the station health it
    # computes is no part of every command's start-up (issue 22 §1)
    from avrecords.stations.silence import report_silent_stations

    return report_silent_stations()


class StationsConfig(AppConfig):
    """采集站 (issue 19 §1, §4): stations as first-class objects with their own credential,
    the agent's API, their health and the cameras they refused. It sits directly above
    recordings: it reads what stations ingested; nothing below it knows it."""

    name = "avrecords.stations"
    verbose_name = "采集站"

    def ready(self):
        from avrecords import worklist
        from avrecords.jobs import periodic

        # 待办, imported on first use (avrecords.worklist): silent stations, refused cameras
        worklist.register_module("avrecords.stations.worklist_sources")
        periodic.register("stations.silence", _report_silent_stations)
