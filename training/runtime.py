"""Process-wide settings every training script wants."""

from __future__ import annotations

import os
from pathlib import Path

import torch

#: The repository root (training/ sits directly under it).
REPO = Path(__file__).resolve().parent.parent


def use_all_cores(threads: int = 0) -> int:
    """Sets torch's intra-op threads (0 = every core this process may use) and returns the number.

    Why: Debian's torch starts with OpenMP limited to one thread here, and Xception on one thread is more than ten times
    slower than on two.
    """
    count = threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(count)
    return count
