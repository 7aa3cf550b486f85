"""Shared helpers for engines: where weights are, what they hash to, which device to use.

Paths are always explicit arguments (the caller reads settings/env); nothing here looks at
the environment, so tests can point engines at tiny models in a tmp dir.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from generation.engines.base import EngineError, ModelNotConfigured

if TYPE_CHECKING:
    import torch

DEVICE_PREFERENCES = ("auto", "cpu", "cuda")
_HASH_CHUNK = 1 << 20

# (resolved path, file signature) -> sha256 hex. The signature (names, sizes, mtimes) is cheap
# to compute, so a model replaced in place gets a fresh hash without re-reading unchanged ones.
_hash_cache: dict[tuple[str, tuple[tuple[str, int, int], ...]], str] = {}
_hash_lock = threading.Lock()


def resolve_model_path(path: str | os.PathLike[str] | None, *, what: str, setting: str) -> Path:
    """Return `path` as an existing, non-empty file or directory, else raise ModelNotConfigured.

    `what` names the model in the message ("Stable Diffusion model") and `setting` the env var
    or setting an operator should fix (AVATARSAAS_SD_MODEL).
    """
    if path is None or str(path).strip() == "":
        raise ModelNotConfigured(f"No {what} configured: set {setting} to a local path.")
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise ModelNotConfigured(f"{what} not found at {resolved} (from {setting}).")
    if resolved.is_dir() and not any(_model_files(resolved)):
        raise ModelNotConfigured(f"{what} directory {resolved} is empty (from {setting}).")
    if resolved.is_file() and resolved.stat().st_size == 0:
        raise ModelNotConfigured(f"{what} file {resolved} is empty (from {setting}).")
    return resolved


def pipeline_class_name(model_dir: str | os.PathLike[str]) -> str:
    """The `_class_name` in a diffusers pipeline directory's model_index.json ("" if none)."""
    index = Path(model_dir) / "model_index.json"
    if not index.is_file():
        return ""
    return str(json.loads(index.read_text(encoding="utf-8")).get("_class_name") or "")


def _model_files(root: Path) -> list[Path]:
    # Hidden entries (.cache/, .gitattributes, lock files) are not part of the weights.
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        files.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def file_signature(path: Path) -> tuple[tuple[str, int, int], ...]:
    """(relative name, size, mtime) of every weight file: cheap, and changes with the files."""
    if path.is_file():
        st = path.stat()
        return ((path.name, st.st_size, st.st_mtime_ns),)
    sig = []
    for f in _model_files(path):
        st = f.stat()
        sig.append((f.relative_to(path).as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(sig)


def model_hash(path: str | os.PathLike[str]) -> str:
    """sha256 over sorted relative file names and contents of a model directory (or one file).

    Cached per path and file signature, so warm workers hash a multi-GB model once.
    """
    root = Path(path).expanduser().resolve()
    if not root.exists():
        raise ModelNotConfigured(f"Cannot hash {root}: it does not exist.")
    key = (str(root), file_signature(root))
    with _hash_lock:
        cached = _hash_cache.get(key)
    if cached:
        return cached
    digest = hashlib.sha256()
    files = [root] if root.is_file() else _model_files(root)
    for f in files:
        rel = f.name if root.is_file() else f.relative_to(root).as_posix()
        # Name and length prefix keep "a"+"bc" distinct from "ab"+"c".
        digest.update(rel.encode() + b"\0" + str(f.stat().st_size).encode() + b"\0")
        with f.open("rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                digest.update(chunk)
    value = digest.hexdigest()
    with _hash_lock:
        _hash_cache[key] = value
    return value


def pick_device(pref: str = "auto") -> tuple[str, torch.dtype]:
    """Map a device preference to (device, dtype).

    "auto" picks CUDA with fp16 when available, else CPU with fp32 (fp16 on CPU is slow and
    not bit-stable); "cuda" fails loudly instead of silently falling back to the CPU.
    """
    import torch

    if pref not in DEVICE_PREFERENCES:
        raise EngineError(
            f"Unknown device {pref!r}; expected one of {', '.join(DEVICE_PREFERENCES)}.",
            code="bad_device",
        )
    if pref == "cpu":
        return "cpu", torch.float32
    if torch.cuda.is_available():
        return "cuda", torch.float16
    if pref == "cuda":
        raise EngineError("device='cuda' requested but CUDA is not available.", code="bad_device")
    return "cpu", torch.float32


def dtype_kwargs(dtype: torch.dtype) -> dict[str, torch.dtype]:
    """The keyword `from_pretrained` reads the load dtype from, on the installed diffusers.

    diffusers renamed `torch_dtype` to `dtype` (2026, PR 14205); releases before that ignore an
    unknown `dtype=` without a word and load fp32, so ask the library which name it knows.
    """
    from diffusers.utils import deprecation_utils

    name = "dtype" if hasattr(deprecation_utils, "_resolve_dtype") else "torch_dtype"
    return {name: dtype}


# The modules whose precision decides speed and memory: a UNet (or a DiT) and the text
# encoders. The VAE may legitimately run in fp32 (an upcast VAE on SDXL), so it is reported,
# not asserted.
_ASSERTED_MODULES = ("unet", "transformer", "text_encoder", "text_encoder_2", "controlnet")


def module_dtypes(pipe) -> dict[str, str]:
    """{component name: dtype name} for the pipeline's torch modules that are present."""
    out = {}
    for name in (*_ASSERTED_MODULES, "vae"):
        module = getattr(pipe, name, None)
        dtype = getattr(module, "dtype", None)
        if dtype is not None:
            out[name] = str(dtype).removeprefix("torch.")
    return out


def assert_dtypes(pipe, dtype: torch.dtype) -> dict[str, str]:
    """Raise EngineError(dtype_mismatch) unless every asserted module runs in `dtype`."""
    found = module_dtypes(pipe)
    want = str(dtype).removeprefix("torch.")
    wrong = {k: v for k, v in found.items() if k in _ASSERTED_MODULES and v != want}
    if wrong:
        detail = ", ".join(f"{k} is {v}" for k, v in sorted(wrong.items()))
        raise EngineError(
            f"The pipeline was asked for {want} but loaded with {detail}; check the diffusers "
            "version and the model's saved variants.",
            code="dtype_mismatch",
        )
    return found
