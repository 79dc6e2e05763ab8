"""A trained BreedClassifier → the ONNX file and manifest the service loads (`models/xception-dogs.json` contract).

The graph takes what the TypeScript side feeds: `input`, float32 `[n, 299, 299, 3]` NHWC, already pixel/127.5 − 1
(src/vision/preprocess); it permutes to NCHW inside and ends with the softmax, so `probs` is `[n, 120]` in breeds.json
order. Batch is dynamic (`n`), the rest fixed; opset 13. The manifest is the repository's template with `file`,
`sha256` and `sizeBytes` filled in, written beside the model together with a copy of the label file it names, so the
output folder is loadable as it is (`--model out/xception-dogs.json`) and installable with
`cp out/xception-dogs.* models/`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import warnings
from pathlib import Path

import onnx
import torch
from torch import nn

from runtime import REPO, use_all_cores
from xception import BreedClassifier

OPSET = 13


class ServingModel(nn.Module):
    """NHWC, already-normalised input → softmax probabilities: the manifest's contract around the classifier."""

    def __init__(self, classifier: BreedClassifier) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.classifier(x.permute(0, 3, 1, 2)), dim=1)


def load_checkpoint(path: Path) -> BreedClassifier:
    """model.pt (train.py) → the classifier in inference mode on the CPU."""
    checkpoint = torch.load(path, map_location="cpu")
    model = BreedClassifier(len(checkpoint["breeds"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval()


def export_onnx(model: BreedClassifier, path: Path, size: int) -> None:
    """Traces the serving wrapper at `size` × `size` with a dynamic batch axis and checks the result."""
    serving = ServingModel(model).eval().cpu()
    with warnings.catch_warnings():
        # The TF-'same' pool turns traced sizes into Python ints on purpose: height and width are fixed.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        # torch's Pad export reverses the pad list with a step −1 Slice it cannot fold: harmless, and noisy.
        warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
        torch.onnx.export(
            serving,
            torch.zeros(1, size, size, 3),
            str(path),
            input_names=["input"],
            output_names=["probs"],
            dynamic_axes={"input": {0: "n"}, "probs": {0: "n"}},
            opset_version=OPSET,
            do_constant_folding=True,
        )
    onnx.checker.check_model(str(path))


def graph_contract(path: Path) -> dict[str, object]:
    """Names and shapes of the graph's input and output (symbolic dims by name), for the summary and tests."""
    proto = onnx.load(str(path))
    graph = proto.graph

    def dims(value: onnx.ValueInfoProto) -> list[object]:
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    return {
        "inputs": {v.name: dims(v) for v in graph.input},
        "outputs": {v.name: dims(v) for v in graph.output},
        "opset": max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(template_path: Path, model_path: Path, out: Path) -> Path:
    """The template with the file pinned (name, sha256, size), as `<out>/<id>.json`, plus its label file beside it."""
    manifest = json.loads(template_path.read_text())
    manifest["file"] = model_path.name
    manifest["sha256"] = sha256_of(model_path)
    manifest["sizeBytes"] = model_path.stat().st_size
    labels = template_path.parent / manifest["labels"]
    if labels.resolve() != (out / manifest["labels"]).resolve():
        shutil.copyfile(labels, out / manifest["labels"])
    target = out / f"{manifest['id']}.json"
    target.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return target


def export_all(model: BreedClassifier, out: Path, template_path: Path) -> dict[str, object]:
    """ONNX + manifest into `out`, at the size the template's contract says; returns a JSON-able summary."""
    template = json.loads(template_path.read_text())
    size = int(template["input"]["width"])
    if template["input"]["height"] != size or template["input"]["layout"] != "NHWC":
        raise ValueError(f"{template_path}: this export writes square NHWC models")
    model_path = out / template["file"]
    export_onnx(model, model_path, size)
    manifest_path = write_manifest(template_path, model_path, out)
    return {
        "onnx": str(model_path),
        "manifest": str(manifest_path),
        "sha256": sha256_of(model_path),
        "sizeBytes": model_path.stat().st_size,
        "contract": graph_contract(model_path),
    }


def main() -> int:
    """`export.py --checkpoint out/model.pt --out out [--manifest models/xception-dogs.json]`."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True, help="model.pt written by train.py")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--manifest", type=Path, default=REPO / "models" / "xception-dogs.json", help="template")
    args = parser.parse_args()
    use_all_cores()
    args.out.mkdir(parents=True, exist_ok=True)
    print(json.dumps(export_all(load_checkpoint(args.checkpoint), args.out, args.manifest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
