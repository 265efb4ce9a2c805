"""The Chinese words of the stations app's codes (issue 17 §7): its audit actions and jobs."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "station.register": "登记采集站",
        "station.update": "修改采集站信息",
        "station.retire": "停用采集站",
        "station.reinstate": "恢复采集站",
        "station.token_rotate": "更换采集站令牌",
        "station.token_revoke": "撤销采集站令牌",
        "station.token_refused": "采集站令牌被拒绝",
        "station.online": "采集站连接",
        "station.silent": "采集站离线",
        "station.camera_docked": "采集站接入执法记录仪",
        "station.camera_refused": "采集站拒绝导入执法记录仪",
        "station.refusal_handle": "处理拒绝导入的执法记录仪",
    },
)
labels.register(labels.JOB, {"stations.silence": "检查离线采集站"})
labels.register(
    labels.OBJECT,
    {"stations.camerarefusal": "拒绝导入的执法记录仪", "stations.stationstate": "采集站状态"},
)
