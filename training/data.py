"""Dog photos in → labelled, split, augmented tensors out.

Two input layouts: Kaggle's dog-breed-identification (`train/<id>.jpg` + `labels.csv` with `id,breed`) and Stanford
Dogs (`Images/n02085620-Chihuahua/*.jpg`; the Kaggle id is the folder name after the WordNet id, lower-cased). The class
index of a breed is its position in `models/breeds.json`, the order the service reads the model's 120 outputs in, so a
subset of breeds still trains a 120-way model the service can load.

Preprocessing matches serving (src/vision/preprocess): squash to the input size with a linear kernel, pixel/127.5 − 1.
Training adds the write-ups' Keras `ImageDataGenerator` augmentation (rotation 20°, shifts 0.2, zoom 0.2, horizontal
flip); Keras fills uncovered corners by repeating edge pixels, torchvision cannot, so they are mid-grey (0 after
normalisation) here.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageOps
from torch.utils.data import Dataset
from torchvision import transforms

from runtime import REPO

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Sample:
    """One photo and its class index (position in breeds.json)."""

    path: Path
    label: int


def load_breed_ids(path: Path = REPO / "models" / "breeds.json") -> list[str]:
    """The 120 Kaggle ids in the service's output order; refuses a file that is not byte-wise sorted."""
    ids = [breed["id"] for breed in json.loads(path.read_text())["breeds"]]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        raise ValueError(f"{path}: breed ids must be unique and sorted (the model's class order)")
    return ids


def further_breed_ids(path: Path = REPO / "models" / "breeds.json") -> set[str]:
    """Breeds an ImageNet model names beyond the 120 (the Dalmatian): people may correct to them, the 120-way model has no class."""
    return {breed["id"] for breed in json.loads(path.read_text()).get("moreImageNetBreeds", [])}


def kaggle_samples(root: Path, breeds: list[str]) -> list[Sample]:
    """`<root>/labels.csv` (id,breed) + `<root>/train/<id>.jpg`; photos of a further breed are left out, and counted."""
    index = {breed: i for i, breed in enumerate(breeds)}
    further = further_breed_ids()
    left_out: Counter[str] = Counter()
    samples: list[Sample] = []
    with open(root / "labels.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            breed = row["breed"]
            if breed in further:
                left_out[breed] += 1
                continue
            if breed not in index:
                raise ValueError(f"labels.csv: breed {breed!r} (image {row['id']}) is not in breeds.json")
            path = root / "train" / f"{row['id']}.jpg"
            if not path.is_file():
                raise FileNotFoundError(f"labels.csv names {row['id']}, but {path} does not exist")
            samples.append(Sample(path, index[breed]))
    if left_out:
        counts = ", ".join(f"{count} {breed}" for breed, count in sorted(left_out.items()))
        print(f"labels.csv: left out photos of breeds the 120-way model has no class for: {counts}", file=sys.stderr)
    return samples


def stanford_breed_id(folder: str) -> str:
    """`n02085620-Chihuahua` → `chihuahua`; `n02089078-black-and-tan_coonhound` → `black-and-tan_coonhound`."""
    return folder.split("-", 1)[1].lower()


def stanford_samples(root: Path, breeds: list[str]) -> list[Sample]:
    """`<root>/Images/<wnid>-<Breed>/*.jpg` (or the breed folders directly in `<root>`)."""
    images = root / "Images" if (root / "Images").is_dir() else root
    index = {breed: i for i, breed in enumerate(breeds)}
    samples: list[Sample] = []
    for folder in sorted(p for p in images.iterdir() if p.is_dir()):
        breed = stanford_breed_id(folder.name)
        if breed not in index:
            raise ValueError(f"{folder}: breed {breed!r} is not in breeds.json")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        samples += [Sample(path, index[breed]) for path in files]
    return samples


def load_samples(root: Path, layout: str, breeds: list[str]) -> list[Sample]:
    samples = kaggle_samples(root, breeds) if layout == "kaggle" else stanford_samples(root, breeds)
    if not samples:
        raise ValueError(f"no images found in {root} ({layout} layout)")
    return samples


def stratified_split(samples: list[Sample], val_fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """Per breed, a seeded shuffle then the first `val_fraction` (at least one, if the breed has two) to validation.

    Stratified so a rare breed is not missing from validation; seeded so a rerun compares like with like.
    """
    by_label: dict[int, list[Sample]] = defaultdict(list)
    for sample in sorted(samples, key=lambda s: (s.label, str(s.path))):
        by_label[sample.label].append(sample)
    rng = random.Random(seed)
    train: list[Sample] = []
    val: list[Sample] = []
    for label in sorted(by_label):
        group = by_label[label]
        rng.shuffle(group)
        count = round(len(group) * val_fraction)
        count = min(max(count, 1 if len(group) >= 2 and val_fraction > 0 else 0), len(group) - 1)
        val += group[:count]
        train += group[count:]
    return train, val


def normalize() -> transforms.Normalize:
    """(pixel/255 − 0.5)/0.5 = pixel/127.5 − 1, the manifest's scale-offset normalisation."""
    return transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


def eval_transform(size: int) -> transforms.Compose:
    """Serving's preprocessing: squash to size × size (linear), scale to −1…1. NCHW tensors."""
    return transforms.Compose(
        [
            transforms.Resize((size, size), interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.ToTensor(),
            normalize(),
        ]
    )


def train_transform(size: int) -> transforms.Compose:
    """Serving's preprocessing plus the write-ups' augmentation."""
    return transforms.Compose(
        [
            transforms.Resize((size, size), interpolation=transforms.InterpolationMode.BILINEAR),
            transforms.RandomAffine(
                degrees=20,
                translate=(0.2, 0.2),
                scale=(0.8, 1.2),
                interpolation=transforms.InterpolationMode.BILINEAR,
                fill=128,
            ),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            normalize(),
        ]
    )


def open_rgb(path: Path) -> Image.Image:
    """Decodes like serving: EXIF orientation applied, transparency onto white, RGB."""
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, image)
        return image.convert("RGB")


class PhotoDataset(Dataset[tuple[torch.Tensor, int]]):
    """Samples → (normalised NCHW tensor, class index)."""

    def __init__(self, samples: list[Sample], transform: transforms.Compose) -> None:
        self.samples = samples
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        sample = self.samples[index]
        return self.transform(open_rgb(sample.path)), sample.label


def describe(samples: list[Sample], train: list[Sample], val: list[Sample], breeds: list[str]) -> dict[str, object]:
    """A JSON-able summary: images per breed and the split (paths of validation images, to compare splits)."""
    return {
        "images": len(samples),
        "breeds": {breeds[label]: count for label, count in sorted(Counter(s.label for s in samples).items())},
        "train": len(train),
        "val": len(val),
        "valFiles": sorted(s.path.name for s in val),
    }


def main() -> int:
    """`data.py --data DIR --layout kaggle|stanford`: prints what the loader finds and the seeded split."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--layout", choices=("kaggle", "stanford"), default="kaggle")
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    breeds = load_breed_ids()
    samples = load_samples(args.data, args.layout, breeds)
    train, val = stratified_split(samples, args.val_fraction, args.seed)
    print(json.dumps(describe(samples, train, val, breeds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
