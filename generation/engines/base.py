"""The small interface every image engine implements.

Engines are pure ML/graphics code: they know nothing about tenants, jobs or storage. The job
service hands them a RenderRequest and gets Candidates back. Heavy libraries (torch, diffusers,
peft) are imported lazily inside the concrete engines so the web process never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from PIL import Image

# progress(step, total_steps): called from the engine as work advances.
ProgressCallback = Callable[[int, int], None]


class EngineError(Exception):
    """An expected engine failure (missing model, blocked prompt, bad parameters)."""

    code = "engine_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class ModelNotConfigured(EngineError):
    code = "model_not_configured"


class PromptBlocked(EngineError):
    code = "prompt_blocked"


@dataclass(frozen=True)
class AdapterRef:
    """A LoRA adapter version to apply: `version_id` doubles as the peft adapter name."""

    version_id: str
    path: str  # directory or .safetensors file written by save_lora_weights
    strength: float = 1.0


@dataclass(frozen=True)
class ControlRef:
    """One ControlNet condition: a prepared control map (at render size) and its weight."""

    type: str  # one of core.vocabulary.CONTROL_TYPES
    image: Image.Image
    scale: float = 1.0
    map_hash: str = ""  # sha256 of the stored map file, recorded in metadata


@dataclass(frozen=True)
class RenderRequest:
    prompt: str
    negative_prompt: str = ""
    # Structured attributes from the demand parser; the vector engine draws from these.
    attributes: dict[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (0,)
    width: int = 512
    height: int = 512
    steps: int = 25
    guidance_scale: float = 7.0
    scheduler: str = "dpmpp_2m_karras"
    adapter: AdapterRef | None = None
    palette: tuple[str, ...] = ()  # brand colours as "#rrggbb"
    controls: tuple[ControlRef, ...] = ()
    # Image-to-image variation / region edit: the parent picture (and, for diffusion, the
    # latents it was decoded from, a (1, 4, h/8, w/8) array), how much of it is re-drawn, and
    # for an edit the mask (L, 255 = change). The hashes are recorded in metadata.
    init_image: Image.Image | None = None
    init_latents: Any = None
    init_hash: str = ""
    strength: float | None = None
    mask_image: Image.Image | None = None
    mask_hash: str = ""
    # Few-step mode (engines.few_step): the engine picks sampler, steps and guidance itself.
    fast: bool = False

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def mode(self) -> str:
        """txt2img, img2img (a variation) or inpaint (a region edit)."""
        if self.mask_image is not None:
            return "inpaint"
        if self.init_image is not None or self.init_latents is not None:
            return "img2img"
        return "txt2img"


@dataclass
class Candidate:
    index: int
    seed: int
    image: Image.Image
    # Everything needed to re-render this exact image (JSON-serialisable).
    metadata: dict[str, Any] = field(default_factory=dict)
    # The diffusion latents the image was decoded from (numpy, (1, 4, h/8, w/8)), kept so a
    # variation can start from them; None for composited edits and the vector engine.
    latents: Any = None


class Engine(Protocol):
    name: str

    def generate(
        self, request: RenderRequest, progress: ProgressCallback | None = None
    ) -> list[Candidate]: ...

    def describe(self) -> dict[str, Any]:
        """Identity of the weights/code that make images (engine, model hash, versions)."""
        ...
