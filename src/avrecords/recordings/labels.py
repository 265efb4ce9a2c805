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
        "recording.start_time": "更正开始时间",
        "recording.thumbnail": "查看缩略图",
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
        "recordings.expire_resumable": "清理过期的未完成上传",
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
labels.register(
    labels.CODEC,
    {
        "h264": "H.264",
        "hevc": "H.265",
        "h265": "H.265",
        "mpeg4": "MPEG-4",
        "mjpeg": "MJPEG",
        "vp8": "VP8",
        "vp9": "VP9",
        "av1": "AV1",
        "png": "PNG",
        "aac": "AAC",
        "mp3": "MP3",
        "mp3float": "MP3",
        "opus": "Opus",
        "vorbis": "Vorbis",
        "flac": "FLAC",
        "amrnb": "AMR-NB",
        "amr_nb": "AMR-NB",
        "amrwb": "AMR-WB",
        "amr_wb": "AMR-WB",
        "pcm_s16le": "PCM",
        "pcm_s24le": "PCM",
        "pcm_s32le": "PCM",
        "pcm_f32le": "PCM",
        "pcm_u8": "PCM",
        "pcm_alaw": "G.711 A 律",
        "pcm_mulaw": "G.711 μ 律",
        "adpcm_ima_wav": "ADPCM",
    },
)
