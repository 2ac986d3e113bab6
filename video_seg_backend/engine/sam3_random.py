"""A tiny SAM 3 with random weights (tests only): SAM 3's architecture at toy sizes, and a tokenizer
made in memory, since neither the weights nor CLIP's vocabulary can be downloaded here.

Every module of ``Sam3Model`` runs (ViT backbone with windowed and global attention, FPN, CLIP text
encoder, DETR encoder and decoder, presence head, mask decoder); only the widths, depths, query count
and image size are small, so one frame takes well under a second on a CPU. Its masks mean nothing.
"""

from __future__ import annotations

from typing import Any

import torch

# Byte-level units of printable ASCII, with and without CLIP's end-of-word mark, and no merges: every
# prompt tokenizes (one token per character), as CLIP's tokenizer would with a vocabulary of one-letter
# words. Enough to feed the text encoder; the model learns nothing from it.
_SPECIAL = ("<|startoftext|>", "<|endoftext|>")


def tiny_tokenizer() -> Any:
    from transformers import CLIPTokenizer

    units = [chr(c) for c in range(33, 127)]
    vocab = {unit: i for i, unit in enumerate(units)}
    vocab.update({unit + "</w>": len(units) + i for i, unit in enumerate(units)})
    vocab.update({token: len(vocab) + i for i, token in enumerate(_SPECIAL)})
    return CLIPTokenizer(vocab=vocab, merges=[])


def tiny_sam3_config(image_size: int, vocab_size: int) -> Any:
    from transformers import Sam3Config

    patch = 14
    grid = image_size // patch  # the ViT's token grid; the FPN makes 4x, 2x, 1x of it
    width, heads = 32, 2
    layers = dict(hidden_size=width, num_layers=1, num_attention_heads=heads, intermediate_size=2 * width)
    return Sam3Config(
        vision_config=dict(
            backbone_config=dict(
                model_type="sam3_vit_model", hidden_size=width, intermediate_size=2 * width, num_hidden_layers=2,
                num_attention_heads=heads, image_size=image_size, patch_size=patch, window_size=max(1, grid // 2),
                global_attn_indexes=[1], pretrain_image_size=image_size // 2,
            ),
            fpn_hidden_size=width,
            backbone_feature_sizes=[[4 * grid, 4 * grid], [2 * grid, 2 * grid], [grid, grid]],
        ),
        text_config=dict(
            model_type="clip_text_model", vocab_size=vocab_size, hidden_size=width, intermediate_size=2 * width,
            projection_dim=width, num_hidden_layers=1, num_attention_heads=heads, max_position_embeddings=32,
            bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=vocab_size - 1,
        ),
        geometry_encoder_config=dict(layers),
        detr_encoder_config=dict(layers),
        detr_decoder_config=dict(layers, num_queries=20),
        mask_decoder_config=dict(hidden_size=width, num_attention_heads=heads),
    )  # fmt: skip


def random_sam3(image_size: int, seed: int = 0) -> tuple[Any, Any]:
    """(model, processor): the tiny SAM 3, seeded, at ``image_size`` (a multiple of 14 is used)."""
    from transformers import Sam3Model, Sam3Processor
    from transformers.models.sam3.image_processing_sam3 import Sam3ImageProcessor

    size = max(56, image_size // 14 * 14)
    tokenizer = tiny_tokenizer()
    config = tiny_sam3_config(size, len(tokenizer.get_vocab()))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Sam3Model(config)
    processor = Sam3Processor(
        image_processor=Sam3ImageProcessor(size={"height": size, "width": size}), tokenizer=tokenizer
    )
    return model, processor
