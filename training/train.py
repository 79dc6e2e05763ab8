"""Fine-tunes Xception on dog breeds, after the dog-breed-identification write-ups, then exports it for the service.

Recipe:
- Backbone: Keras's ImageNet Xception (`--weights xception_weights_tf_dim_ordering_tf_kernels_notop.h5`), or random
  weights (`--weights none`: the contract stand-in, e.g. with `--epochs-head 0 --epochs-finetune 0`).
- Head: global average pooling → dropout 0.5 → dense 1024 ReLU → dropout 0.5 → dense 120 (softmax in the export).
- Augmentation: rotation 20°, shifts 0.2, zoom 0.2, horizontal flip (data.py).
- Phase 1 (`--epochs-head`): backbone frozen (BatchNorm too, in inference mode as Keras does for frozen layers), head
  trained by Adam (or `--head-optimizer sgd`, momentum 0.9) under a triangular cyclical learning rate between
  `--min-lr` and `--max-lr`. Adam because pooled ReLU features share a large common component that makes plain SGD
  crawl on a freshly initialised head (seen on the synthetic set: SGD stays at chance where Adam learns).
- Phase 2 (`--epochs-finetune`): blocks 13 and 14 unfrozen, SGD lr 1e-4 momentum 0.9.
- Early stopping on validation accuracy in each phase (`--patience` epochs without a new best); the best weights seen
  are restored at the end. Seeded stratified train/validation split.

Writes into `--out`: `model.pt` (weights, breed order, history), `history.json` (one entry per epoch, also printed as
a JSON line), and unless `--no-export`, the ONNX model and its manifest (export.py).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

import data
import export
from keras_weights import load_keras_weights
from runtime import REPO, use_all_cores
from xception import BreedClassifier, block_modules

#: The "top two blocks" of the write-ups' phase 2.
FINETUNE_BLOCKS = (13, 14)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="dataset folder (required unless both epoch counts are 0)")
    parser.add_argument("--layout", choices=("kaggle", "stanford"), default="kaggle")
    parser.add_argument(
        "--weights",
        required=True,
        help="Keras notop .h5 (xception_weights_tf_dim_ordering_tf_kernels_notop.h5) or none",
    )
    parser.add_argument("--epochs-head", type=int, default=10, help="phase 1 epochs (backbone frozen)")
    parser.add_argument("--epochs-finetune", type=int, default=10, help="phase 2 epochs (blocks 13–14 unfrozen)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--image-size", type=int, default=299, help="training input size (the export is always 299)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1, …")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--patience", type=int, default=3, help="early stopping: epochs without a better val accuracy")
    parser.add_argument("--head-optimizer", choices=("adam", "sgd"), default="adam", help="phase 1 optimiser")
    parser.add_argument("--min-lr", type=float, default=1e-4, help="phase 1 cyclical LR, lower bound")
    parser.add_argument("--max-lr", type=float, default=1e-3, help="phase 1 cyclical LR, upper bound")
    parser.add_argument("--clr-half-cycle", type=float, default=2.0, help="epochs from min to max LR (step_size_up)")
    parser.add_argument("--finetune-lr", type=float, default=1e-4)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--workers", type=int, default=4, help="DataLoader worker processes (0: load in-process)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch (0: every core)")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=REPO / "models" / "xception-dogs.json",
        help="manifest template for the export (its id and file name are used)",
    )
    parser.add_argument("--no-export", action="store_true", help="stop after writing model.pt")
    return parser.parse_args(argv)


def pick_device(name: str) -> torch.device:
    """`auto` is the first GPU when there is one; an explicit `cuda` without a GPU is an error, not a quiet CPU run."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {name}: no CUDA device here")
    return device


def seed_everything(seed: int) -> torch.Generator:
    """Seeds Python, NumPy and torch; returns the generator the data loaders shuffle with."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def set_trainable(model: BreedClassifier, blocks: tuple[int, ...]) -> list[nn.Parameter]:
    """Freezes the backbone except `blocks`; returns the parameters to optimise (head + those blocks)."""
    model.backbone.requires_grad_(False)
    for module in block_modules(model.backbone, min(blocks), max(blocks)) if blocks else []:
        module.requires_grad_(True)
    model.head.requires_grad_(True)
    return [p for p in model.parameters() if p.requires_grad]


def train_mode(model: BreedClassifier, blocks: tuple[int, ...]) -> None:
    """Training mode for the head and unfrozen blocks; frozen BatchNorms keep their ImageNet statistics."""
    model.train()
    model.backbone.eval()
    for module in block_modules(model.backbone, min(blocks), max(blocks)) if blocks else []:
        module.train()


@dataclass
class EarlyStopping:
    """Keras `EarlyStopping(monitor='val_accuracy', restore_best_weights=True)`, kept across both phases."""

    patience: int
    best_accuracy: float = -1.0
    best_state: dict[str, torch.Tensor] | None = None
    stale: int = 0
    history: list[dict[str, object]] = field(default_factory=list)

    def start_phase(self) -> None:
        self.stale = 0

    def update(self, accuracy: float, model: nn.Module) -> bool:
        """Records an epoch; True when the phase should stop."""
        if accuracy > self.best_accuracy:
            self.best_accuracy = accuracy
            self.best_state = copy.deepcopy(model.state_dict())
            self.stale = 0
        else:
            self.stale += 1
        return self.stale >= self.patience


def head_optimizer(args: argparse.Namespace, params: list[nn.Parameter]) -> torch.optim.Optimizer:
    """Phase 1's optimiser; its learning rate is driven by CyclicLR (momentum is not cycled)."""
    if args.head_optimizer == "sgd":
        return torch.optim.SGD(params, lr=args.min_lr, momentum=args.momentum)
    return torch.optim.Adam(params, lr=args.min_lr)


def run_epoch(
    model: BreedClassifier,
    loader: DataLoader,
    device: torch.device,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.CyclicLR | None = None,
) -> tuple[float, float]:
    """One pass over `loader` (training when an optimizer is given); returns (mean loss, accuracy)."""
    loss_fn = nn.CrossEntropyLoss()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(optimizer is not None):
        for images, labels in loader:
            images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
            logits = model(images)
            loss = loss_fn(logits, labels)
            if optimizer is not None:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
            total_loss += float(loss) * len(labels)
            correct += int((logits.argmax(dim=1) == labels).sum())
            seen += len(labels)
    return total_loss / max(seen, 1), correct / max(seen, 1)


def run_phase(
    phase: str,
    epochs: int,
    model: BreedClassifier,
    blocks: tuple[int, ...],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.CyclicLR | None,
    loaders: tuple[DataLoader, DataLoader],
    device: torch.device,
    stopper: EarlyStopping,
) -> None:
    """Trains for up to `epochs`, logging each epoch, until early stopping says enough."""
    stopper.start_phase()
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        train_mode(model, blocks)
        train_loss, train_acc = run_epoch(model, loaders[0], device, optimizer, scheduler)
        model.eval()
        val_loss, val_acc = run_epoch(model, loaders[1], device)
        entry: dict[str, object] = {
            "phase": phase,
            "epoch": epoch,
            "trainLoss": round(train_loss, 5),
            "trainAcc": round(train_acc, 5),
            "valLoss": round(val_loss, 5),
            "valAcc": round(val_acc, 5),
            "lr": optimizer.param_groups[0]["lr"],
            "seconds": round(time.perf_counter() - started, 2),
        }
        stop = stopper.update(val_acc, model)
        entry["best"] = stopper.stale == 0
        stopper.history.append(entry)
        print(json.dumps(entry), flush=True)
        if stop:
            print(json.dumps({"phase": phase, "earlyStop": epoch, "bestValAcc": stopper.best_accuracy}), flush=True)
            return


def make_loaders(
    args: argparse.Namespace, breeds: list[str], generator: torch.Generator, device: torch.device
) -> tuple[DataLoader, DataLoader]:
    """Seeded stratified split of the dataset into augmented training and plain validation loaders."""
    samples = data.load_samples(args.data, args.layout, breeds)
    train, val = data.stratified_split(samples, args.val_fraction, args.seed)
    if not val:
        raise SystemExit("the validation split is empty: early stopping needs one (raise --val-fraction)")
    print(json.dumps(data.describe(samples, train, val, breeds) | {"valFiles": len(val)}), flush=True)
    common = {"batch_size": args.batch_size, "num_workers": args.workers, "pin_memory": device.type == "cuda"}
    return (
        DataLoader(
            data.PhotoDataset(train, data.train_transform(args.image_size)), shuffle=True, generator=generator, **common
        ),
        DataLoader(data.PhotoDataset(val, data.eval_transform(args.image_size)), shuffle=False, **common),
    )


def train(args: argparse.Namespace) -> tuple[BreedClassifier, EarlyStopping]:
    """Builds the model, runs both phases, restores the best weights; returns (model on the CPU, the epochs' record)."""
    generator = seed_everything(args.seed)
    device = pick_device(args.device)
    breeds = data.load_breed_ids()
    model = BreedClassifier(len(breeds))
    if args.weights != "none":
        report = load_keras_weights(model.backbone, Path(args.weights))
        print(json.dumps({"weights": args.weights, "consumed": len(report.assigned), "skipped": report.skipped}))
    model.to(device)
    stopper = EarlyStopping(args.patience)
    if args.epochs_head > 0 or args.epochs_finetune > 0:
        if args.data is None:
            raise SystemExit("--data is required to train")
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        loaders = make_loaders(args, breeds, generator, device)
        if args.epochs_head > 0:
            params = set_trainable(model, ())
            optimizer = head_optimizer(args, params)
            step_size = max(1, round(len(loaders[0]) * args.clr_half_cycle))
            scheduler = torch.optim.lr_scheduler.CyclicLR(
                optimizer, args.min_lr, args.max_lr, step_size_up=step_size, mode="triangular", cycle_momentum=False
            )
            run_phase("head", args.epochs_head, model, (), optimizer, scheduler, loaders, device, stopper)
        if args.epochs_finetune > 0:
            params = set_trainable(model, FINETUNE_BLOCKS)
            optimizer = torch.optim.SGD(params, lr=args.finetune_lr, momentum=args.momentum)
            run_phase(
                "finetune", args.epochs_finetune, model, FINETUNE_BLOCKS, optimizer, None, loaders, device, stopper
            )
        if stopper.best_state is not None:
            model.load_state_dict(stopper.best_state)
    return model.cpu().eval(), stopper


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    threads = use_all_cores(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    model, stopper = train(args)
    history = stopper.history
    breeds = data.load_breed_ids()
    checkpoint = {
        "state_dict": model.state_dict(),
        "breeds": breeds,
        "image_size": args.image_size,
        "history": history,
        "weights": args.weights,
        "seed": args.seed,
    }
    torch.save(checkpoint, args.out / "model.pt")
    (args.out / "history.json").write_text(json.dumps(history, indent=1) + "\n")
    summary: dict[str, object] = {
        "checkpoint": str(args.out / "model.pt"),
        "epochs": len(history),
        "bestValAcc": stopper.best_accuracy if history else None,
        "trainSeconds": round(time.perf_counter() - started, 1),
        "threads": threads,
    }
    if not args.no_export:
        summary |= export.export_all(model, args.out, args.manifest)
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
