"""Keras's Xception ImageNet weights (an .h5 written by `model.save_weights`) → the PyTorch backbone, by name.

The file holds one group per Keras layer (root attribute `layer_names`), each listing its tensors in the attribute
`weight_names` (`block2_sepconv1/depthwise_kernel:0`, or with TensorFlow's uniquifying suffix,
`block2_sepconv1_1/depthwise_kernel:0`). Named layers map one to one onto the PyTorch modules; the four shortcut
layers have no name in Keras's source, so they are `conv2d_N` / `batch_normalization_N` with whatever N the session
that saved them had reached (`conv2d_1…4` in one file, `conv2d_4…7` in the reference topology): they are matched in
order of N to blocks 2, 3, 4 and 13. The 1000-way ImageNet `predictions` layer of a with-top file is skipped (the
head is ours); anything else unknown, any missing tensor and any shape mismatch is an error, never a silent skip.

Layouts: Keras kernels are HWIO (`kh, kw, in, out`), torch wants OIHW; depthwise kernels are `(kh, kw, in, 1)` →
`(in, 1, kh, kw)`; pointwise `(1, 1, in, out)` → `(out, in, 1, 1)`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
import torch

from xception import MIDDLE_BLOCKS, RESIDUAL_BLOCKS, Xception

#: Keras weight kind → (torch attribute, how to lay out the array for torch).
_BN_KINDS = {"gamma": "weight", "beta": "bias", "moving_mean": "running_mean", "moving_variance": "running_var"}
#: Layers of a with-top file that the dog-breed model deliberately does not use.
SKIPPED_LAYERS = ("predictions",)


@dataclass
class ImportReport:
    """What an import did: which Keras tensor went where, what was skipped on purpose."""

    #: Keras weight name → torch state_dict key, in file order.
    assigned: dict[str, str] = field(default_factory=dict)
    #: Keras weight names deliberately ignored (the ImageNet classifier of a with-top file).
    skipped: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"consumed": len(self.assigned), "skipped": self.skipped, "assigned": self.assigned}


def keras_layer_to_module() -> dict[str, str]:
    """Every named Keras layer with weights → the torch module path that holds them."""
    table = {
        "block1_conv1": "block1_conv1",
        "block1_conv1_bn": "block1_conv1_bn",
        "block1_conv2": "block1_conv2",
        "block1_conv2_bn": "block1_conv2_bn",
    }
    units = {index: 2 for index in (*RESIDUAL_BLOCKS, 14)} | {index: 3 for index in MIDDLE_BLOCKS}
    for block, count in units.items():
        for unit in range(1, count + 1):
            table[f"block{block}_sepconv{unit}"] = f"block{block}.sepconv{unit}"
            table[f"block{block}_sepconv{unit}_bn"] = f"block{block}.sepconv{unit}_bn"
    return table


_ANONYMOUS = re.compile(r"^(conv2d|batch_normalization)(?:_(\d+))?$")


def resolve_layers(layer_names: list[str]) -> dict[str, str | None]:
    """Keras layer name → torch module path (None: skip on purpose). Raises on a layer this model does not have."""
    named = keras_layer_to_module()
    resolved: dict[str, str | None] = {}
    anonymous: dict[str, list[tuple[int, str]]] = {"conv2d": [], "batch_normalization": []}
    for name in layer_names:
        match = _ANONYMOUS.match(name)
        if name in named:
            resolved[name] = named[name]
        elif match:
            anonymous[match.group(1)].append((int(match.group(2) or 0), name))
        elif name in SKIPPED_LAYERS:
            resolved[name] = None
        else:
            raise ValueError(f"Keras layer {name!r} has weights but no place in this Xception")
    for kind, suffix in (("conv2d", "residual_conv"), ("batch_normalization", "residual_bn")):
        found = sorted(anonymous[kind])
        if len(found) != len(RESIDUAL_BLOCKS):
            raise ValueError(f"expected {len(RESIDUAL_BLOCKS)} {kind}_N shortcut layers, found {[n for _, n in found]}")
        for block, (_, name) in zip(RESIDUAL_BLOCKS, found):
            resolved[name] = f"block{block}.{suffix}"
    return resolved


def to_torch_layout(kind: str, array: np.ndarray) -> tuple[str, np.ndarray]:
    """A Keras tensor of `kind` → (torch attribute name, array in torch's layout)."""
    if kind in ("kernel", "pointwise_kernel"):
        return "weight", array.transpose(3, 2, 0, 1)
    if kind == "depthwise_kernel":
        if array.shape[3] != 1:
            raise ValueError(f"depth_multiplier {array.shape[3]} is not 1")
        return "weight", array.transpose(2, 3, 0, 1)
    if kind in _BN_KINDS:
        return _BN_KINDS[kind], array
    raise ValueError(f"unknown Keras weight kind {kind!r}")


def _decode(value: bytes | str) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else value


def weights_group(file: h5py.File) -> h5py.Group:
    """The group holding `layer_names`: the root of a weights file, `model_weights` of a whole-model file."""
    if "layer_names" in file.attrs:
        return file
    if "model_weights" in file:
        return file["model_weights"]
    raise ValueError("not a Keras weights file (no layer_names attribute)")


def read_keras_weights(path: Path) -> list[tuple[str, str, np.ndarray]]:
    """Every tensor of the file as (layer name, weight name, array), in file order."""
    tensors: list[tuple[str, str, np.ndarray]] = []
    with h5py.File(path, "r") as file:
        group = weights_group(file)
        for layer in (_decode(n) for n in group.attrs["layer_names"]):
            for weight in (_decode(n) for n in group[layer].attrs.get("weight_names", [])):
                tensors.append((layer, weight, np.asarray(group[layer][weight], dtype=np.float32)))
    return tensors


def weight_kind(weight_name: str) -> str:
    """`block2_sepconv1_1/depthwise_kernel:0` → `depthwise_kernel`."""
    return weight_name.rsplit("/", 1)[-1].split(":", 1)[0]


def load_keras_weights(backbone: Xception, path: Path) -> ImportReport:
    """Copies every tensor of the Keras file into `backbone`; raises unless every backbone tensor got exactly one."""
    tensors = read_keras_weights(path)
    modules = resolve_layers(sorted({layer for layer, _, _ in tensors}))
    state = backbone.state_dict()
    targets = {key for key in state if not key.endswith("num_batches_tracked")}
    report = ImportReport()
    updates: dict[str, torch.Tensor] = {}
    for layer, weight, array in tensors:
        module = modules[layer]
        if module is None:
            report.skipped.append(weight)
            continue
        attribute, value = to_torch_layout(weight_kind(weight), array)
        # Separable convs hold two tensors: the kind says which half.
        part = {"depthwise_kernel": ".depthwise", "pointwise_kernel": ".pointwise"}.get(weight_kind(weight), "")
        key = f"{module}{part}.{attribute}"
        if key not in targets:
            raise ValueError(f"{weight} maps to {key}, which this Xception does not have")
        if key in updates:
            raise ValueError(f"{weight} maps to {key}, already filled by another tensor")
        if tuple(state[key].shape) != value.shape:
            raise ValueError(f"{weight}: shape {array.shape} → {value.shape}, but {key} is {tuple(state[key].shape)}")
        updates[key] = torch.from_numpy(np.ascontiguousarray(value))
        report.assigned[weight] = key
    missing = sorted(targets - updates.keys())
    if missing:
        raise ValueError(f"{len(missing)} backbone tensors not in the file, e.g. {missing[:5]}")
    with torch.no_grad():
        for key, tensor in updates.items():
            state[key].copy_(tensor)
    return report


def main() -> int:
    """`python3 keras_weights.py <notop.h5>`: import into a fresh backbone and print the report (a dry run)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("h5", type=Path)
    args = parser.parse_args()
    report = load_keras_weights(Xception(), args.h5)
    json.dump({"consumed": len(report.assigned), "skipped": report.skipped}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
