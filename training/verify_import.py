"""Proves the Keras → PyTorch import on a Keras-layout weights file (synthetic.py h5 writes one).

Three independent checks, printed as one JSON object (exit 1 if any fails):
1. Every tensor of the file landed somewhere, each backbone tensor was filled once, and the count is exact.
2. Spot checks written out by hand: single elements of a conv kernel, a depthwise and a pointwise kernel, a shortcut
   conv and the four BN statistics, compared with the h5 value at the transposed index.
3. A forward pass of the whole backbone against a NumPy interpreter of Keras's semantics that walks the layer graph
   of the reference topology itself (NHWC, HWIO kernels used as stored, TensorFlow 'same' padding computed from the
   formula, BN epsilon read from the layer config), on inputs whose intermediate sizes are odd in one case and even in
   the other (where TF pads stride-2 pools asymmetrically). The interpreter shares no code with the PyTorch model, so
   a wrong transpose, padding, epsilon or wiring shows up as a numeric difference.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch

from runtime import use_all_cores
from keras_weights import load_keras_weights, weight_kind, weights_group
from synthetic import DEFAULT_TOPOLOGY
from xception import Xception

#: Input sizes (H, W): 71×71 keeps every stride-2 input odd; 74×66 makes block 2's pool input 34×30 (even) and
#: block 4's and 13's even along W.
SIZES = ((71, 71), (74, 66))
TOLERANCE = 1e-4


def keras_tensors(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """Layer name → weight kind → float64 array, straight from the file."""
    out: dict[str, dict[str, np.ndarray]] = {}
    with h5py.File(path, "r") as file:
        group = weights_group(file)
        for layer in group.attrs["layer_names"]:
            name = layer.decode() if isinstance(layer, bytes) else layer
            weights = group[name].attrs.get("weight_names", [])
            out[name] = {weight_kind(w.decode()): np.asarray(group[name][w.decode()], np.float64) for w in weights}
    return out


def tf_pad(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, pad before, pad after) per TensorFlow's rules for 'valid' and 'same'."""
    if padding == "valid":
        return (size - kernel) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def windows(x: np.ndarray, kernel: tuple[int, ...], stride: int, padding: str, fill: float) -> tuple[Any, int, int]:
    """The padded input and output size; callers index taps as x[:, i+di*…]."""
    oh, top, bottom = tf_pad(x.shape[1], kernel[0], stride, padding)
    ow, left, right = tf_pad(x.shape[2], kernel[1], stride, padding)
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    return padded, oh, ow


def tap(padded: np.ndarray, di: int, dj: int, oh: int, ow: int, stride: int) -> np.ndarray:
    return padded[:, di : di + stride * (oh - 1) + 1 : stride, dj : dj + stride * (ow - 1) + 1 : stride, :]


def conv2d(x: np.ndarray, kernel: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """Keras Conv2D, NHWC × HWIO."""
    padded, oh, ow = windows(x, kernel.shape[:2], stride, padding, 0.0)
    out = np.zeros((x.shape[0], oh, ow, kernel.shape[3]))
    for di in range(kernel.shape[0]):
        for dj in range(kernel.shape[1]):
            out += tap(padded, di, dj, oh, ow, stride) @ kernel[di, dj]
    return out


def depthwise(x: np.ndarray, kernel: np.ndarray, stride: int, padding: str) -> np.ndarray:
    """Keras DepthwiseConv2D (multiplier 1), kernel (kh, kw, C, 1)."""
    padded, oh, ow = windows(x, kernel.shape[:2], stride, padding, 0.0)
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for di in range(kernel.shape[0]):
        for dj in range(kernel.shape[1]):
            out += tap(padded, di, dj, oh, ow, stride) * kernel[di, dj, :, 0]
    return out


def max_pool(x: np.ndarray, size: int, stride: int, padding: str) -> np.ndarray:
    """Keras MaxPooling2D: padded positions never win (−inf)."""
    padded, oh, ow = windows(x, (size, size), stride, padding, -np.inf)
    taps = [tap(padded, di, dj, oh, ow, stride) for di in range(size) for dj in range(size)]
    return np.max(np.stack(taps), axis=0)


def run_layer(layer: dict[str, Any], inputs: list[np.ndarray], weights: dict[str, np.ndarray]) -> np.ndarray:
    """One Keras layer of the topology in NumPy."""
    kind, config = layer["class_name"], layer["config"]
    x = inputs[0]
    if kind == "Conv2D":
        return conv2d(x, weights["kernel"], config["strides"][0], config["padding"])
    if kind == "SeparableConv2D":
        y = depthwise(x, weights["depthwise_kernel"], config["strides"][0], config["padding"])
        return conv2d(y, weights["pointwise_kernel"], 1, "valid")
    if kind == "BatchNormalization":
        scale = weights["gamma"] / np.sqrt(weights["moving_variance"] + config["epsilon"])
        return (x - weights["moving_mean"]) * scale + weights["beta"]
    if kind == "Activation":
        assert config["activation"] == "relu", config["activation"]
        return np.maximum(x, 0.0)
    if kind == "MaxPooling2D":
        return max_pool(x, config["pool_size"][0], config["strides"][0], config["padding"])
    if kind == "Add":
        return np.sum(inputs, axis=0)
    if kind == "GlobalAveragePooling2D":
        return x.mean(axis=(1, 2))
    raise ValueError(f"no NumPy version of {kind}")


def keras_forward(
    topology: dict[str, Any], weights_by_layer: dict[str, dict[str, np.ndarray]], x: np.ndarray
) -> np.ndarray:
    """Walks the reference graph up to the global average pool (the notop output) on NHWC input."""
    layers = topology["modelTopology"]["model_config"]["config"]["layers"]
    # Shortcut layers may be stored under other numbers (conv2d_1 vs conv2d_4): pair them by order.
    stored = sorted(weights_by_layer, key=_anonymous_key)
    wanted = sorted((layer["name"] for layer in layers), key=_anonymous_key)
    aliases = {w: s for w, s in zip(_anonymous(wanted), _anonymous(stored))}
    values: dict[str, np.ndarray] = {}
    for layer in layers:
        name = layer["name"]
        if layer["class_name"] == "InputLayer":
            values[name] = x
            continue
        inputs = [values[node[0]] for node in layer["inbound_nodes"][0]]
        values[name] = run_layer(layer, inputs, weights_by_layer.get(aliases.get(name, name), {}))
        if name == "avg_pool":
            return values[name]
    raise ValueError("the topology has no avg_pool layer")


def _anonymous_key(name: str) -> tuple[str, int]:
    head, _, number = name.rpartition("_")
    return (head, int(number)) if number.isdigit() else (name, -1)


def _anonymous(names: list[str]) -> list[str]:
    return [n for n in names if n.startswith("conv2d_") or n.startswith("batch_normalization_")]


def spot_checks(model: Xception, weights: dict[str, dict[str, np.ndarray]]) -> list[dict[str, object]]:
    """Single elements compared by hand-written index maps (HWIO→OIHW, (kh,kw,C,1)→(C,1,kh,kw), …)."""
    state = model.state_dict()
    conv = sorted((n for n in weights if n.startswith("conv2d")), key=_anonymous_key)
    bn = sorted((n for n in weights if n.startswith("batch_normalization")), key=_anonymous_key)
    checks = [
        ("block1_conv1.weight", (31, 2, 0, 1), weights["block1_conv1"]["kernel"][0, 1, 2, 31]),
        ("block1_conv2.weight", (5, 17, 2, 1), weights["block1_conv2"]["kernel"][2, 1, 17, 5]),
        (
            "block2.sepconv1.depthwise.weight",
            (40, 0, 2, 0),
            weights["block2_sepconv1"]["depthwise_kernel"][2, 0, 40, 0],
        ),
        (
            "block7.sepconv2.pointwise.weight",
            (3, 700, 0, 0),
            weights["block7_sepconv2"]["pointwise_kernel"][0, 0, 700, 3],
        ),
        (
            "block14.sepconv2.pointwise.weight",
            (2047, 5, 0, 0),
            weights["block14_sepconv2"]["pointwise_kernel"][0, 0, 5, 2047],
        ),
        ("block2.residual_conv.weight", (100, 60, 0, 0), weights[conv[0]]["kernel"][0, 0, 60, 100]),
        ("block13.residual_conv.weight", (1000, 700, 0, 0), weights[conv[3]]["kernel"][0, 0, 700, 1000]),
        ("block13.residual_bn.weight", (1023,), weights[bn[3]]["gamma"][1023]),
        ("block4.residual_bn.bias", (7,), weights[bn[2]]["beta"][7]),
        ("block9.sepconv3_bn.running_mean", (11,), weights["block9_sepconv3_bn"]["moving_mean"][11]),
        ("block14.sepconv1_bn.running_var", (1535,), weights["block14_sepconv1_bn"]["moving_variance"][1535]),
    ]
    return [
        {
            "param": key,
            "index": list(index),
            "torch": float(state[key][index]),
            "keras": float(value),
            "ok": abs(float(state[key][index]) - float(value)) <= 1e-7 * max(1.0, abs(float(value))),
        }
        for key, index, value in checks
    ]


def sabotage(model: Xception, how: str) -> None:
    """Plants a known mistake (negative control: the checks above must catch it)."""
    if how == "symmetric-pool":
        for index in (2, 3, 4, 13):
            getattr(model, f"block{index}").pool = torch.nn.MaxPool2d(3, 2, padding=1)
    elif how == "torch-eps":
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.eps = 1e-5
    elif how == "pointwise-transpose":
        with torch.no_grad():
            conv = model.get_submodule("block7.sepconv2.pointwise")
            assert isinstance(conv, torch.nn.Conv2d)
            conv.weight.copy_(conv.weight.transpose(0, 1).clone())


def main() -> int:
    """`verify_import.py --h5 <file>`: the three checks above, as JSON on stdout; exit 1 on any failure."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--h5", type=Path, required=True)
    parser.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sabotage",
        choices=("none", "symmetric-pool", "torch-eps", "pointwise-transpose"),
        default="none",
        help="plant a known mistake after the import, to show the checks catch it",
    )
    args = parser.parse_args()
    use_all_cores()
    torch.manual_seed(args.seed)
    model = Xception().eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = load_keras_weights(model, args.h5)
    untouched = [k for k, v in model.state_dict().items() if "num_batches" not in k and torch.equal(v, before[k])]
    sabotage(model, args.sabotage)
    weights = keras_tensors(args.h5)
    topology = json.loads(args.topology.read_text())
    rng = np.random.default_rng(args.seed)
    forwards = []
    for height, width in SIZES:
        x = rng.uniform(-1.0, 1.0, (2, height, width, 3))
        expected = keras_forward(topology, weights, x)
        with torch.no_grad():
            actual = model(torch.from_numpy(x.transpose(0, 3, 1, 2)).float()).double().numpy()
        diff = float(np.max(np.abs(actual - expected)))
        scale = float(np.max(np.abs(expected)))
        forwards.append(
            {"input": [height, width], "maxAbsDiff": diff, "maxAbs": scale, "ok": diff <= TOLERANCE * scale}
        )
    checks = spot_checks(model, weights)
    file_tensors = sum(len(w) for w in weights.values())
    result = {
        "fileTensors": file_tensors,
        "consumed": len(report.assigned),
        "skipped": report.skipped,
        "backboneTensors": len(report.assigned),
        "untouched": untouched,
        "distinctTargets": len(set(report.assigned.values())),
        "spotChecks": checks,
        "forward": forwards,
    }
    ok = (
        not untouched
        and len(report.assigned) + len(report.skipped) == file_tensors
        and len(set(report.assigned.values())) == len(report.assigned)
        and all(c["ok"] for c in checks)
        and all(f["ok"] for f in forwards)
    )
    result["ok"] = ok
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
