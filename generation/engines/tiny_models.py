"""Tiny random-weight models in the same on-disk layout as the real ones.

Tests, the bench and a fresh dev checkout use these so that the production loaders
(`DiffusersEngine`, `ClipScorer`) run end to end without downloading anything. The shapes
follow diffusers' own dummy components (block_out_channels (32, 64), cross_attention_dim 32):
a 64 px render is a 32x32 latent and takes a fraction of a second on a CPU.

Everything is built under a fixed torch seed, so two builds produce byte-identical weights
(and therefore the same `model_hash`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.vocabulary import CONTROL_TYPES

TINY_SEED = 0
TINY_CLIP_ARCH = "avatarsaas-tiny-clip"
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 32, "head_width": 16, "patch_size": 16},
    # vocab_size must match open_clip's bundled SimpleTokenizer (49408 BPE tokens).
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


@dataclass(frozen=True)
class TinyModelPaths:
    sd_model_dir: Path
    clip_arch: str
    clip_checkpoint: Path
    controlnet_dir: Path | None = None
    inpaint_model_dir: Path | None = None

    @property
    def controlnet_dirs(self) -> dict[str, str]:
        """The tiny ControlNet serves every control type (one directory per type in settings)."""
        if self.controlnet_dir is None:
            return {}
        return {t: str(self.controlnet_dir) for t in CONTROL_TYPES}

    def env(self) -> dict[str, str]:
        """The environment variables that point the app at these models."""
        env = {
            "AVATARSAAS_SD_MODEL": str(self.sd_model_dir),
            "AVATARSAAS_CLIP_ARCH": self.clip_arch,
            "AVATARSAAS_CLIP_CHECKPOINT": str(self.clip_checkpoint),
        }
        for control_type, path in self.controlnet_dirs.items():
            env[f"AVATARSAAS_CONTROLNET_{control_type.upper()}"] = path
        if self.inpaint_model_dir is not None:
            env["AVATARSAAS_INPAINT_MODEL"] = str(self.inpaint_model_dir)
        return env


def _byte_level_chars() -> set[str]:
    # GPT-2/CLIP byte-to-unicode table: printable bytes map to themselves, the rest are
    # shifted past 255 so every byte has a visible, whitespace-free character.
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    printable += list(range(ord("®"), ord("ÿ") + 1))
    shifted = [256 + i for i in range(256 - len(printable))]
    return {chr(c) for c in printable + shifted}


def _write_clip_tokenizer(directory: Path) -> None:
    """A byte-level CLIP BPE tokenizer with no merges, written by hand (no hub download).

    Every byte maps to a token (plain and end-of-word form), so any prompt tokenizes, one
    character per token. Ids stay below the text encoder's vocab_size of 1000.
    """
    chars = sorted(_byte_level_chars())
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in chars:
        vocab[ch] = len(vocab)
    for ch in chars:
        vocab[ch + "</w>"] = len(vocab)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (directory / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")


def _tiny_sd_components(in_channels: int = 4):
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(TINY_SEED)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
    )
    torch.manual_seed(TINY_SEED)
    vae = AutoencoderKL(
        block_out_channels=[32, 64],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        latent_channels=4,
    )
    torch.manual_seed(TINY_SEED)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=32,
            intermediate_size=37,
            layer_norm_eps=1e-05,
            num_attention_heads=4,
            num_hidden_layers=5,
            vocab_size=1000,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return unet, vae, text_encoder, scheduler


def build_tiny_sd(directory: str | Path, *, inpainting: bool = False) -> Path:
    """Write a tiny random SD 1.x pipeline to `directory` in `save_pretrained` layout.

    `inpainting` writes a dedicated inpainting pipeline instead: its UNet takes 9 channels
    (noisy latents, mask, masked-image latents), like the public SD inpainting models.
    """
    from diffusers import StableDiffusionInpaintPipeline, StableDiffusionPipeline
    from transformers import CLIPTokenizer

    directory = Path(directory)
    tok_src = directory / "_tokenizer_src"
    _write_clip_tokenizer(tok_src)
    tokenizer = CLIPTokenizer(
        vocab=str(tok_src / "vocab.json"),
        merges=str(tok_src / "merges.txt"),
        model_max_length=77,
    )
    unet, vae, text_encoder, scheduler = _tiny_sd_components(9 if inpainting else 4)
    cls = StableDiffusionInpaintPipeline if inpainting else StableDiffusionPipeline
    pipe = cls(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(directory, safe_serialization=True)
    for f in tok_src.iterdir():
        f.unlink()
    tok_src.rmdir()
    return directory


def build_tiny_clip(directory: str | Path) -> tuple[str, Path]:
    """Write a tiny open_clip model: `<arch>.json` config beside a `<arch>.pt` state_dict.

    Returns (arch, checkpoint_path), the two values the production loader takes.
    """
    import open_clip
    import torch

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / f"{TINY_CLIP_ARCH}.json"
    config_path.write_text(json.dumps(TINY_CLIP_CONFIG, indent=2), encoding="utf-8")
    torch.manual_seed(TINY_SEED)
    model = open_clip.CLIP(**TINY_CLIP_CONFIG)
    checkpoint = directory / f"{TINY_CLIP_ARCH}.pt"
    torch.save(model.state_dict(), checkpoint)
    return TINY_CLIP_ARCH, checkpoint


def build_tiny_models(directory: str | Path) -> TinyModelPaths:
    """Build the tiny models under `directory` (sd/, clip/, controlnet/, sd-inpaint/) and
    return their paths."""
    directory = Path(directory)
    sd_dir = build_tiny_sd(directory / "sd")
    arch, checkpoint = build_tiny_clip(directory / "clip")
    return TinyModelPaths(
        sd_model_dir=sd_dir,
        clip_arch=arch,
        clip_checkpoint=checkpoint,
        controlnet_dir=build_tiny_controlnet(sd_dir, directory / "controlnet"),
        inpaint_model_dir=build_tiny_sd(directory / "sd-inpaint", inpainting=True),
    )


def build_tiny_controlnet(
    sd_model_dir: str | Path, directory: str | Path, *, seed: int = 3
) -> Path:
    """Write a tiny ControlNet made from the tiny pipeline's UNet (`ControlNetModel.from_unet`).

    `from_unet` copies the encoder half and zero-initialises the output ("zero") convolutions,
    so an untrained ControlNet changes nothing; random ones make the condition visible, as a
    trained one would. The conditioning embedding downsamples as much as the VAE does (the tiny
    VAE's two blocks halve the picture once), so a render-size map meets the latents.
    """
    import torch
    from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel

    sd_model_dir, directory = Path(sd_model_dir), Path(directory)
    unet = UNet2DConditionModel.from_pretrained(sd_model_dir / "unet")
    vae_blocks = len(AutoencoderKL.load_config(sd_model_dir / "vae")["block_out_channels"])
    channels = (16, 32, 96, 256)[:vae_blocks]
    torch.manual_seed(seed)
    net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=channels)
    zero_convs = [*net.controlnet_down_blocks, net.controlnet_mid_block]
    with torch.no_grad():
        for conv in [*zero_convs, net.controlnet_cond_embedding.conv_out]:
            torch.nn.init.normal_(conv.weight, std=0.05)
            torch.nn.init.normal_(conv.bias, std=0.05)
    net.save_pretrained(directory, safe_serialization=True)
    return directory


def build_tiny_lora(sd_model_dir: str | Path, directory: str | Path, *, seed: int = 1) -> Path:
    """Write a random, non-zero LoRA for the tiny UNet with `save_lora_weights`.

    peft's default init leaves lora_B at zero (a no-op adapter); `init_lora_weights=False`
    randomises both matrices so the adapter visibly changes the output. Different `seed`s give
    different adapters.
    """
    import torch
    from diffusers import StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    directory = Path(directory)
    unet = UNet2DConditionModel.from_pretrained(Path(sd_model_dir) / "unet")
    torch.manual_seed(seed)
    unet.add_adapter(
        LoraConfig(
            r=4,
            lora_alpha=4,
            init_lora_weights=False,
            target_modules=["to_q", "to_k", "to_v", "to_out.0"],
        )
    )
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(unet))
    StableDiffusionPipeline.save_lora_weights(directory, unet_lora_layers=layers)
    return directory


def build_tiny_safety_checker(directory: str | Path, *, flag_everything: bool = False) -> Path:
    """Write a tiny diffusers safety checker (CLIP vision tower + concept embeddings).

    Random weights flag nothing (the concept thresholds are 1.0, above any cosine similarity);
    `flag_everything` lowers them so every image is flagged, to test the blocking path.
    """
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    directory = Path(directory)
    torch.manual_seed(TINY_SEED)
    tower = {"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4}
    config = CLIPConfig(
        text_config={**tower, "num_hidden_layers": 2, "vocab_size": 1000},
        vision_config={**tower, "num_hidden_layers": 2, "image_size": 32, "patch_size": 4},
        projection_dim=32,
    )
    checker = StableDiffusionSafetyChecker(config)
    if flag_everything:
        with torch.no_grad():
            checker.concept_embeds_weights.fill_(-2.0)
    checker.save_pretrained(directory)
    CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(directory)
    return directory
