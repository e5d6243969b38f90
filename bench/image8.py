"""8-bit image helpers shared by the Python baselines (bench/cbm3d.py, bench/classical-baseline.py):
reading a file as RGB with a clear error that names it, and PSNR on the 8-bit grid as the project's
`eval` computes it (peak 255, float64 mean squared error)."""
import math

import cv2
import numpy as np


def read_rgb(file):
    image = cv2.imread(file, cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f'cannot read {file}')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def psnr8(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)
