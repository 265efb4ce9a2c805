"""A keyword spotter where an agency installs one: sherpa-onnx (optional extra `kws`) (U5).

AVRECORDS_NOTICE_KWS_MODEL names a directory holding a streaming transducer KWS model
(tokens.txt, encoder*.onnx, decoder*.onnx, joiner*.onnx), for instance sherpa-onnx's
"kws-zipformer-wenetspeech" model, copied there by the agency: nothing is downloaded. The
profile's notice phrases are the keywords. Their token spelling comes from, in order:

1. a `keywords.txt` in the directory (sherpa-onnx's format, one phrase a line:
   ``b ěn c ì zh í f ǎ ... @本次执法全程录音录像``), written by the agency with
   ``sherpa-onnx-cli text2token``; or
2. sherpa_onnx.text2token on the phrases (needs pypinyin for pinyin-token models, which the
   `kws` extra installs), with the token type guessed from tokens.txt.

sherpa_onnx is imported only by KeywordSpotter.load, so the platform runs without it.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .decoding import SAMPLE_RATE
from .errors import ListeningError
from .matching import Hit

log = logging.getLogger(__name__)

KEYWORDS_FILE = "keywords.txt"
TAIL_PADDING_SECONDS = 0.66
NOT_INSTALLED = "服务器未安装关键词识别组件（sherpa-onnx），无法使用配置的识别模型"
BAD_MODEL = "关键词识别模型目录不完整或无法读取，请检查系统配置中的模型目录"
BAD_KEYWORDS = "无法为告知语生成识别关键词，请在模型目录中提供 keywords.txt"


def _one(directory: Path, stem: str) -> Path:
    found = sorted(directory.glob(f"{stem}*.onnx"))
    if not found:
        raise ListeningError(BAD_MODEL, log_message=f"no {stem}*.onnx in {directory}")
    # a quantised model where both are shipped: several times faster on a CPU
    int8 = [p for p in found if "int8" in p.name]
    return (int8 or found)[0]


def _token_type(tokens: Path) -> str:
    symbols = [line.split()[0] for line in tokens.read_text("utf-8").splitlines() if line.strip()]
    if any(s in {"zh", "ch", "sh"} for s in symbols) and any(
        ch in "āáǎàōóǒòēéěè" for s in symbols for ch in s
    ):
        return "ppinyin"
    if any(s.startswith("▁") for s in symbols):
        return "cjkchar+bpe"
    return "cjkchar"


def keywords_text(sherpa_onnx, directory: Path, tokens: Path, phrases: list[str]) -> str:
    """The keyword file's text for `phrases` (see the module's docstring for the sources)."""
    given = directory / KEYWORDS_FILE
    if given.is_file():
        return given.read_text("utf-8")
    kind = _token_type(tokens)
    bpe = directory / "bpe.model"
    lines = []
    for phrase in phrases:
        try:
            # one phrase a call: text2token silently drops a phrase with a token the model
            # lacks, so a joint call could not say which phrase a result belongs to
            encoded = sherpa_onnx.text2token(
                [phrase],
                tokens=str(tokens),
                tokens_type=kind,
                bpe_model=str(bpe) if "bpe" in kind else None,
            )
        except (ImportError, AssertionError, KeyError, ValueError, OSError) as exc:
            raise ListeningError(
                BAD_KEYWORDS, log_message=f"text2token ({kind}) failed: {exc!r}"
            ) from exc
        if encoded and encoded[0]:
            lines.append(f"{' '.join(map(str, encoded[0]))} @{phrase}\n")
        else:
            log.warning("notice phrase %r has tokens outside %s; not spotted", phrase, tokens)
    if not lines:
        raise ListeningError(BAD_KEYWORDS, log_message=f"no phrase encodable with {tokens}")
    return "".join(lines)


@dataclass
class KeywordSpotter:
    """sherpa-onnx's spotter loaded with the notice phrases as its keywords."""

    spotter: object
    phrases: list[str]
    model_dir: Path
    _keywords_file: object = field(default=None, repr=False)

    @classmethod
    def load(cls, model_dir: str | Path, phrases: list[str]) -> KeywordSpotter:
        """ListeningError (Chinese) if sherpa_onnx is missing or the directory is not a model."""
        try:
            import sherpa_onnx
        except ImportError as exc:
            raise ListeningError(NOT_INSTALLED, log_message=f"sherpa_onnx: {exc}") from exc
        directory = Path(model_dir)
        tokens = directory / "tokens.txt"
        if not directory.is_dir() or not tokens.is_file():
            raise ListeningError(BAD_MODEL, log_message=f"no tokens.txt in {directory}")
        encoder, decoder, joiner = (_one(directory, s) for s in ("encoder", "decoder", "joiner"))
        phrases = [p.strip() for p in phrases if p and p.strip()]
        if not phrases:
            raise ListeningError(BAD_KEYWORDS, log_message="no phrases")
        keywords = tempfile.NamedTemporaryFile(
            "w", suffix=".txt", prefix="avrecords-kws-", encoding="utf-8"
        )
        keywords.write(keywords_text(sherpa_onnx, directory, tokens, phrases))
        keywords.flush()
        try:
            spotter = sherpa_onnx.KeywordSpotter(
                tokens=str(tokens),
                encoder=str(encoder),
                decoder=str(decoder),
                joiner=str(joiner),
                keywords_file=keywords.name,
                num_threads=1,
                provider="cpu",
            )
        except (RuntimeError, ValueError, OSError) as exc:
            keywords.close()
            raise ListeningError(BAD_MODEL, log_message=f"sherpa-onnx load: {exc}") from exc
        return cls(spotter=spotter, phrases=phrases, model_dir=directory, _keywords_file=keywords)

    def search(self, samples: np.ndarray) -> Hit | None:
        """The first notice phrase heard in `samples` (float32 mono 16 kHz), or None."""
        spotter = self.spotter
        stream = spotter.create_stream()
        stream.accept_waveform(SAMPLE_RATE, np.asarray(samples, np.float32))
        stream.accept_waveform(
            SAMPLE_RATE, np.zeros(int(TAIL_PADDING_SECONDS * SAMPLE_RATE), np.float32)
        )
        stream.input_finished()
        while spotter.is_ready(stream):
            spotter.decode_stream(stream)
            keyword = spotter.get_result(stream)
            if keyword:
                stamps = list(spotter.timestamps(stream) or [0.0])
                index = self.phrases.index(keyword) if keyword in self.phrases else 0
                return Hit(
                    at_seconds=round(float(stamps[0]), 2),
                    end_seconds=round(float(stamps[-1]) + 0.3, 2),
                    distance=0.0,
                    confidence=1.0,
                    reference_index=index,
                    method="keywords",
                )
        return None
