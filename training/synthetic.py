"""Stand-ins for what these machines cannot have: a dog-breed dataset and Keras's ImageNet weights.

`dataset` writes a tiny, learnable image set (each breed a colour and a shape on a noisy background) in the Kaggle
layout (`train/<id>.jpg` + `labels.csv`) or the Stanford Dogs layout (`Images/n<wnid>-<Breed>/*.jpg`), so every step
of the pipeline can run here in seconds. `h5` writes a Keras weights file with exactly the layer names, weight names,
shapes and order of the reference topology, filled with seeded random values, so the import can be checked tensor by
tensor. BatchNorm variances are small and gammas scaled to match, which keeps activations bounded through 36 BN layers
while making epsilon matter (1e-3 vs 1e-5 changes outputs by percents, not parts per million).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from PIL import Image, ImageDraw

from runtime import REPO

DEFAULT_TOPOLOGY = REPO.parent / "shared" / "models" / "reference" / "keras-xception-imagenet-topology.json"
#: Breeds drawn by default; any ids from models/breeds.json work.
DEFAULT_BREEDS = ("beagle", "pug", "samoyed")
#: Stanford folder names for the default breeds (a WordNet id, a dash, the breed).
STANFORD_FOLDERS = {"beagle": "n02088364-beagle", "pug": "n02110958-pug", "samoyed": "n02111889-Samoyed"}
_PALETTE = ((200, 40, 40), (40, 170, 60), (40, 70, 200), (220, 180, 30), (150, 50, 180), (30, 170, 170))


def draw_image(rng: np.random.Generator, class_index: int) -> Image.Image:
    """One picture of class `class_index`: its colour and shape, at a random place and size, on noise."""
    width, height = int(rng.integers(90, 200)), int(rng.integers(90, 200))
    noise = rng.integers(0, 80, size=(height, width, 3), dtype=np.uint8)
    image = Image.fromarray(noise + np.uint8(60), "RGB")
    draw = ImageDraw.Draw(image)
    colour = _PALETTE[class_index % len(_PALETTE)]
    size = int(min(width, height) * rng.uniform(0.4, 0.7))
    x, y = int(rng.integers(0, width - size)), int(rng.integers(0, height - size))
    shape = class_index % 3
    if shape == 0:
        draw.ellipse((x, y, x + size, y + size), fill=colour)
    elif shape == 1:
        draw.rectangle((x, y, x + size, y + size), fill=colour)
    else:
        draw.polygon(((x, y + size), (x + size // 2, y), (x + size, y + size)), fill=colour)
    return image


def write_dataset(out: Path, breeds: list[str], per_breed: int, layout: str, seed: int) -> int:
    """Writes `per_breed` images of each breed; returns how many were written."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str]] = []
    for class_index, breed in enumerate(breeds):
        for n in range(per_breed):
            image = draw_image(rng, class_index)
            if layout == "kaggle":
                image_id = f"{rng.integers(0, 2**63):016x}"
                (out / "train").mkdir(parents=True, exist_ok=True)
                image.save(out / "train" / f"{image_id}.jpg", quality=92)
                rows.append((image_id, breed))
            else:
                folder = out / "Images" / STANFORD_FOLDERS.get(breed, f"n{99000000 + class_index:08d}-{breed}")
                folder.mkdir(parents=True, exist_ok=True)
                image.save(folder / f"{folder.name.split('-')[0]}_{n}.jpg", quality=92)
    if layout == "kaggle":
        with open(out / "labels.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(("id", "breed"))
            writer.writerows(rows)
    return len(breeds) * per_breed


def topology_layers(topology_path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """(every layer name in model order, the weight manifest) of the reference topology."""
    topology = json.loads(topology_path.read_text())
    layers = [layer["name"] for layer in topology["modelTopology"]["model_config"]["config"]["layers"]]
    weights = [w for group in topology["weightsManifest"] for w in group["weights"]]
    return layers, weights


def owning_layer(weight_name: str, layers: list[str]) -> str:
    """`block1_conv1_1/kernel` → `block1_conv1` (TensorFlow appended `_1` to the variable scope, not the layer)."""
    scope = weight_name.split("/", 1)[0]
    if scope in layers:
        return scope
    base = re.sub(r"_\d+$", "", scope)
    if base in layers:
        return base
    raise ValueError(f"no layer owns weight {weight_name}")


def synthetic_tensor(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    """Random values of a plausible scale for a tensor of this kind (see the module docstring)."""
    if kind == "moving_variance":
        return rng.uniform(0.002, 0.05, shape)
    if kind == "gamma":
        # Paired with small variances in write_h5: gamma ≈ sqrt(variance) keeps each BN's gain near 1.
        return rng.uniform(0.5, 1.5, shape)
    if kind in ("beta", "moving_mean", "bias"):
        return rng.normal(0.0, 0.1, shape)
    fan_in = int(np.prod(shape[:-1])) if kind != "depthwise_kernel" else int(np.prod(shape[:2]))
    return rng.normal(0.0, 1.0 / np.sqrt(fan_in), shape)


def write_h5(out: Path, topology_path: Path, include_top: bool, keras2_names: bool, seed: int) -> int:
    """Writes a Keras `save_weights` file in the reference layout; returns the number of tensors written.

    `keras2_names` writes the names a Keras 2.0 session would have used (`block1_conv1/kernel:0`, shortcuts
    `conv2d_1…4`) instead of the reference's (`block1_conv1_1/kernel:0`, `conv2d_4…7`): the importer must take both.
    """
    layers, weights = topology_layers(topology_path)
    rng = np.random.default_rng(seed)
    renumber = {f"{kind}_{n}": f"{kind}_{n - 3}" for kind in ("conv2d", "batch_normalization") for n in range(4, 8)}
    by_layer: dict[str, list[tuple[str, np.ndarray]]] = {name: [] for name in layers}
    variances: dict[str, np.ndarray] = {}
    for weight in weights:
        name, shape = str(weight["name"]), tuple(int(d) for d in weight["shape"])
        layer = owning_layer(name, layers)
        if layer == "predictions" and not include_top:
            continue
        kind = name.rsplit("/", 1)[1]
        value = synthetic_tensor(rng, kind, shape)
        if kind == "moving_variance":
            variances[layer] = value
        by_layer[layer].append((name, value))
    written = 0
    with h5py.File(out, "w") as file:
        names = [renumber.get(layer, layer) if keras2_names else layer for layer in layers]
        file.attrs["layer_names"] = np.array([n.encode() for n in names])
        file.attrs["backend"] = b"tensorflow"
        file.attrs["keras_version"] = b"2.2.4-tf"
        for layer, stored in zip(layers, names):
            group = file.create_group(stored)
            entries = []
            for name, value in by_layer[layer]:
                if name.endswith("/gamma"):
                    value = value * np.sqrt(variances[layer])
                scope, kind = name.split("/")
                full = f"{stored if keras2_names else scope}/{kind}:0"
                group.create_dataset(full, data=value.astype(np.float32))
                entries.append(full.encode())
                written += 1
            group.attrs["weight_names"] = np.array(entries, dtype="S")
    return written


def main() -> int:
    """Command line: `synthetic.py dataset …` or `synthetic.py h5 …`; prints a one-line JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    data = commands.add_parser("dataset", help="a tiny image set in the Kaggle or Stanford layout")
    data.add_argument("--out", type=Path, required=True)
    data.add_argument("--layout", choices=("kaggle", "stanford"), default="kaggle")
    data.add_argument("--breeds", default=",".join(DEFAULT_BREEDS), help="comma-separated breed ids")
    data.add_argument("--per-breed", type=int, default=6)
    data.add_argument("--seed", type=int, default=0)
    h5 = commands.add_parser("h5", help="a Keras Xception weights file with random values")
    h5.add_argument("--out", type=Path, required=True)
    h5.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY)
    h5.add_argument("--include-top", action="store_true", help="also write the 1000-way predictions layer")
    h5.add_argument("--keras2-names", action="store_true", help="Keras 2.0 naming (no _1 suffix, conv2d_1…4)")
    h5.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.command == "dataset":
        args.out.mkdir(parents=True, exist_ok=True)
        count = write_dataset(args.out, args.breeds.split(","), args.per_breed, args.layout, args.seed)
        print(json.dumps({"images": count, "layout": args.layout, "out": str(args.out)}))
    else:
        count = write_h5(args.out, args.topology, args.include_top, args.keras2_names, args.seed)
        print(json.dumps({"tensors": count, "out": str(args.out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
