"""Parity: the exported model served by the project (TypeScript preprocessing + onnxruntime-node) answers what the
trained PyTorch model answers.

The photos are preprocessed once, by the service's own code (parity-ts.ts: sharp decode/squash + `rgbToTensor`), so
both sides see identical input tensors; then PyTorch (the checkpoint behind the ONNX file, through the same NHWC +
softmax wrapper as the export) and the service's Classifier (the ONNX file, sha256-checked, on onnxruntime-node) are
compared: max |Δp| over every photo and breed must be below `--tolerance` (1e-4) and each photo's top 3 identical.
Because a model whose answer hardly depends on the photo would pass any comparison, it also reports the spread of
its answers across the photos (`inputSensitivity`: the largest |Δp| between two photos), which must dwarf the
tolerance for the check to mean anything; `--sabotage bgr` feeds PyTorch the channels swapped, a negative control
that must fail. As information it reports how far training's PIL preprocessing is from the service's.

Prints one JSON object; exit 1 when parity fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

import data
from export import ServingModel, load_checkpoint
from runtime import REPO, use_all_cores

TOLERANCE = 1e-4


def collect_images(paths: list[Path], limit: int) -> list[Path]:
    """Files as given, folders expanded (sorted), at most `limit`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix.lower() in data.IMAGE_SUFFIXES)
        else:
            found.append(path)
    return found[:limit]


def typescript_side(manifest: Path, images: list[Path], work: Path) -> tuple[np.ndarray, dict[str, object]]:
    """Runs parity-ts.ts; returns (the input tensors it made, its report with the service's probabilities)."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH")
    command = [node, "--import", "tsx", str(REPO / "training" / "parity-ts.ts"), "--manifest", str(manifest)]
    subprocess.run([*command, "--out", str(work), *map(str, images)], cwd=REPO, check=True)
    return np.load(work / "inputs.npy"), json.loads((work / "ts-probs.json").read_text())


def torch_probs(checkpoint: Path, inputs: np.ndarray) -> np.ndarray:
    """The checkpoint's probabilities for NHWC inputs, through the export's wrapper."""
    serving = ServingModel(load_checkpoint(checkpoint)).eval()
    with torch.no_grad():
        return serving(torch.from_numpy(inputs)).double().numpy()


def top3(row: np.ndarray) -> list[int]:
    """Indices of the three largest, ties by label order (the service's topK rule)."""
    return sorted(range(len(row)), key=lambda i: (-row[i], i))[:3]


def pil_gap(images: list[Path], inputs: np.ndarray) -> float:
    """Mean |Δ| between training's PIL preprocessing and the service's tensors (−1…1 units), for information."""
    size = inputs.shape[1]
    transform = data.eval_transform(size)
    ours = np.stack([transform(data.open_rgb(p)).permute(1, 2, 0).numpy() for p in images])
    return float(np.mean(np.abs(ours - inputs)))


def compare(
    images: list[Path], inputs: np.ndarray, ts: dict[str, object], expected: np.ndarray, tolerance: float
) -> dict[str, object]:
    """The parity verdict and the numbers behind it."""
    actual = np.asarray(ts["probs"], dtype=np.float64)
    if actual.shape != expected.shape or np.isnan(actual).any():
        raise SystemExit(f"the service answered {actual.shape} probabilities, PyTorch {expected.shape}")
    max_diff = float(np.max(np.abs(actual - expected)))
    rows = []
    for index, image in enumerate(images):
        a, e = top3(actual[index]), top3(expected[index])
        rows.append(
            {
                "file": image.name,
                "top3Service": a,
                "top3Torch": e,
                "same": a == e,
                "maxAbsDiff": float(np.max(np.abs(actual[index] - expected[index]))),
            }
        )
    return {
        "images": len(images),
        "maxAbsDiff": max_diff,
        "tolerance": tolerance,
        "top3Identical": all(r["same"] for r in rows),
        "perImage": rows,
        "serviceBatchSizes": ts.get("batchSizes"),
        "torchRowSums": [float(s) for s in expected.sum(axis=1)],
        "inputSensitivity": float(np.max(np.abs(expected[:, None, :] - expected[None, :, :]))),
        "pilVsServiceMeanAbs": pil_gap(images, inputs),
        "ok": max_diff < tolerance and all(r["same"] for r in rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--manifest", type=Path, required=True, help="the exported manifest (out/xception-dogs.json)")
    parser.add_argument("--checkpoint", type=Path, required=True, help="the model.pt it was exported from")
    parser.add_argument("--limit", type=int, default=8, help="at most this many photos")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--sabotage", choices=("none", "bgr"), default="none", help="negative control: must fail")
    parser.add_argument("images", type=Path, nargs="+", help="photos or folders")
    args = parser.parse_args()
    use_all_cores()
    images = collect_images(args.images, args.limit)
    if not images:
        raise SystemExit("no photos")
    with tempfile.TemporaryDirectory(prefix="parity-") as work:
        inputs, ts = typescript_side(args.manifest.resolve(), [p.resolve() for p in images], Path(work))
    fed = np.ascontiguousarray(inputs[..., ::-1]) if args.sabotage == "bgr" else inputs
    expected = torch_probs(args.checkpoint, fed)
    result = compare(images, inputs, ts, expected, args.tolerance)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
