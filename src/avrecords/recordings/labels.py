"""The Chinese words of recordings' codes (issue 17 §7)."""

from avrecords.lib import labels

labels.register(
    labels.ACTION,
    {
        "recording.ingest": "导入音像记录",
        "recording.duplicate": "重复导入",
        "recording.view": "查看音像记录",
        "recording.play": "播放音像记录",
        "recording.download": "下载音像记录",
        "recording.edit": "修改音像记录信息",
        "recording.assign": "指派音像记录",
        "recording.thumbnail": "生成缩略图",
        "recording.bookmark": "添加标记",
        "recording.bookmark_delete": "删除标记",
        "recording.snapshot": "截取画面",
        "recording.snapshot_download": "下载截图",
        "ingest.batch": "导入批次",
        "quarantine.create": "隔离可疑文件",
    },
)
labels.register(
    labels.JOB,
    {
        "media.proxy": "生成播放版本",
        "media.thumbnail": "生成缩略图",
    },
)
labels.register(
    labels.OBJECT,
    {
        "recordings.recording": "音像记录",
        "recordings.quarantinedfile": "隔离文件",
        "recordings.ingestbatch": "导入批次",
    },
)
labels.register(
    labels.FORMAT,
    {
        "mov,mp4,m4a,3gp,3g2,mj2": "MP4",
        "jpeg_pipe": "JPEG",
        "png_pipe": "PNG",
        "image2": "图片",
        "amr": "AMR",
        "wav": "WAV",
        "mp3": "MP3",
        "aac": "AAC",
        "avi": "AVI",
        "mpegts": "MPEG-TS",
        "matroska,webm": "MKV",
        "mp4": "MP4",
        "mov": "MOV",
        "jpeg": "JPEG",
        "png": "PNG",
    },
)
