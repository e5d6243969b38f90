#!/usr/bin/python3
"""CBM3D, the classical bar of the real-photo issue, on colour sets that have no
published figure (the held-out CBSD432 files of bench/holdout.ts). Written for
this project from the papers: Dabov et al., "Image denoising by sparse 3-D
transform-domain collaborative filtering" (IEEE TIP 2007) and "Color image
denoising via sparse 3D collaborative filtering with grouping constraint in
luminance-chrominance space" (ICIP 2007), with the normal profile's parameters.

Both stages: blocks matched on the luminance of the opponent colour space
(full search in a 39x39 window), the same groups for the two chrominance
planes; stage 1 hard-thresholds a bior1.5 x Haar 3-D spectrum, stage 2 Wiener-
filters a DCT x Haar one against stage 1's estimate; Kaiser-windowed
aggregation. It differs from the authors' binary in two ways that can only
cost it quality: no predictive search shortcuts (full search everywhere) and
float32 spectra (the aggregation is float64: a Wiener weight can pass float32's range). Validate it on CBSD68 against the published 33.52 / 30.71 /
27.38 before trusting it elsewhere (docs/models.md records both).

Noise is Gaussian from NumPy's generator (seeded), so the noisy images differ
from `cli eval`'s; --protocol paper keeps them float (as published figures
are), user rounds and clips them to 8 bits. CBM3D is always told the true sigma.
PSNR is on the 8-bit grid, as the project's eval computes it.

  /usr/bin/python3 bench/cbm3d.py --clean ../shared/data/denoise/test/CBSD68 --sigma 15,25,50
  /usr/bin/python3 bench/cbm3d.py --clean DIR --noisy DIR_OF_8BIT_PNGS --sigma 15 --save OUT   # the inputs another tool got
Needs Debian's python3-torch and python3-opencv (run it with /usr/bin/python3).
"""
import argparse, json, math, os, sys, time
import cv2
import numpy as np
import torch
import torch.nn.functional as F

from image8 import psnr8, read_rgb

# Opponent colour transform of CBM3D: luminance, then two chrominance planes.
OPP = torch.tensor([[1 / 3, 1 / 3, 1 / 3], [1 / 2, 0, -1 / 2], [1 / 4, -1 / 2, 1 / 4]], dtype=torch.float64)
# bior1.5 (Cohen-Daubechies-Feauveau, 1 and 5 vanishing moments) analysis filters.
BIOR15_LO = np.array([3, -3, -22, 22, 128, 128, 22, -22, -3, 3]) / (128 * math.sqrt(2))
BIOR15_HI = np.array([0, 0, 0, 0, -1, 1, 0, 0, 0, 0]) / math.sqrt(2)


def profile(sigma):
    """The normal profile's parameters for one sigma (stronger noise: larger steps and groups)."""
    strong = sigma > 40
    return (
        dict(n1=8, step=4 if strong else 3, n2=32 if strong else 16, ns=39, tau=25000 if strong else 3000, lam=2.8 if strong else 2.7),
        dict(n1=11 if strong else 8, step=6 if strong else 3, n2=32, ns=39, tau=3500 if strong else 400),
    )


def dwt_matrix(n):
    """Full periodic dyadic bior1.5 analysis of length n as an n x n matrix, rows scaled to unit norm."""
    rows = []
    for i in range(n):
        x = np.zeros(n)
        x[i] = 1
        details = []
        while len(x) > 1:
            m = len(x)
            lo = np.array([sum(BIOR15_LO[t] * x[(2 * k + t - 4) % m] for t in range(10)) for k in range(m // 2)])
            hi = np.array([sum(BIOR15_HI[t] * x[(2 * k + t - 4) % m] for t in range(10)) for k in range(m // 2)])
            details.insert(0, hi)
            x = lo
        rows.append(np.concatenate([x] + details))
    t = np.array(rows).T
    return t / np.linalg.norm(t, axis=1, keepdims=True)


def dct_matrix(n):
    k, i = np.meshgrid(np.arange(n), np.arange(n), indexing='ij')
    t = np.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    t[0] /= math.sqrt(2)
    return t


def haar_matrix(n):
    """Orthonormal Haar transform of length n (a power of two), full decomposition."""
    if n == 1:
        return np.ones((1, 1))
    h = haar_matrix(n // 2)
    return np.vstack([np.kron(h, [1, 1]), np.kron(np.eye(n // 2), [1, -1])]) / math.sqrt(2)


def kaiser2d(n, beta=2.0):
    w = np.kaiser(n, beta)
    return torch.tensor(np.outer(w, w), dtype=torch.float32)


def grid(length, step):
    g = list(range(0, length, step))
    return g if g[-1] == length - 1 else g + [length - 1]


def match(lum, n1, step, n2, ns, tau):
    """For each reference block (on a grid of the given step), up to n2 block positions in the
    search window whose mean squared difference (0-255 scale) is at most tau, nearest first;
    the group size is the largest power of two not above their count."""
    h, w = lum.shape
    hp, wp = h - n1 + 1, w - n1 + 1
    ry, rx = torch.tensor(grid(hp, step)), torch.tensor(grid(wp, step))
    r = ns // 2
    lum64 = lum.double()
    padded = F.pad(lum64[None, None], (r, r, r, r), value=1e3)[0, 0]
    shifts = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)]
    dist = torch.empty(len(ry), len(rx), len(shifts))
    for s in range(0, len(shifts), 8):
        chunk = shifts[s:s + 8]
        moved = torch.stack([padded[r + dy:r + dy + h, r + dx:r + dx + w] for dy, dx in chunk])
        # box sums of the squared difference by running sums, first along x, then along y
        run = F.pad(((moved - lum64) ** 2).cumsum(2), (1, 0))
        across = F.pad((run[:, :, rx + n1] - run[:, :, rx]).cumsum(1), (0, 0, 1, 0))
        dist[:, :, s:s + len(chunk)] = (across[:, ry + n1] - across[:, ry]).permute(1, 2, 0).float()
    limit = tau * n1 * n1 / 255 ** 2
    best, idx = torch.topk(dist, n2, dim=-1, largest=False)
    count = (best <= limit).sum(-1).clamp(min=1)
    size = 2 ** torch.floor(torch.log2(count.float())).long()
    sh = torch.tensor(shifts)[idx]                     # [ny, nx, n2, 2]
    py = (ry[:, None, None] + sh[..., 0]).reshape(-1, n2)
    px = (rx[None, :, None] + sh[..., 1]).reshape(-1, n2)
    return py, px, size.reshape(-1)


def blocks_of(planes, n1):
    """Every n1 x n1 block of each plane, flattened row by row: [C, hp * wp, n1 * n1]."""
    return F.unfold(planes[:, None], n1).transpose(1, 2)


def collaborate(noisy, basic, sigmas, p, stage):
    """One stage over the whole image; returns the aggregated estimate [C, H, W].
    Spectra: every block's 2-D transform once (one product with the Kronecker matrix),
    then per group the Haar transform along the group; the estimates are summed per
    block position and folded back into the image."""
    c, h, w = noisy.shape
    n1 = p['n1']
    py, px, size = match((basic if stage == 2 else noisy)[0], n1, p['step'], p['n2'], p['ns'], p['tau'])
    wp = w - n1 + 1
    t2 = torch.tensor(dwt_matrix(n1) if stage == 1 else dct_matrix(n1), dtype=torch.float32)
    fwd = torch.kron(t2, t2)
    inv = torch.linalg.inv(fwd)
    win = kaiser2d(n1).reshape(-1)
    spectra = lambda planes: (blocks_of(planes, n1) @ fwd.T).transpose(0, 1).contiguous()   # [N, C, n1*n1]
    zs_all = spectra(noisy)
    bs_all = spectra(basic) if stage == 2 else None
    num = torch.zeros(zs_all.shape, dtype=torch.float64)   # float64: a Wiener weight can pass float32's range
    den = torch.zeros(zs_all.shape[:2], dtype=torch.float64)
    sig = torch.tensor(sigmas, dtype=torch.float32)[:, None]
    k = 1
    while k <= p['n2']:
        hk = torch.tensor(haar_matrix(k), dtype=torch.float32)
        along = lambda m, s: (m @ s.reshape(k, -1)).reshape(s.shape)
        for sel in (size == k).nonzero().flatten().split(256):
            pos = (py[sel, :k] * wp + px[sel, :k]).T.contiguous()   # [k, g]: the group's blocks, nearest first
            zs = along(hk, zs_all[pos])                # [k, g, C, n1*n1]
            if stage == 1:
                kept = zs.abs() >= p['lam'] * sig
                est = zs * kept
                weight = 1 / (sig[:, 0] ** 2 * kept.sum((0, 3)).clamp(min=1)).double()
            else:
                bs2 = along(hk, bs_all[pos]) ** 2
                wien = bs2 / (bs2 + sig ** 2)
                est = zs * wien
                energy = (wien ** 2).sum((0, 3)).double()
                # a group whose basic estimate is exactly zero (clipped black, or flat chroma) keeps weight 1 / sigma^2
                weight = 1 / (sig[:, 0] ** 2 * torch.where(energy > 0, energy, torch.ones_like(energy)))
            back = along(hk.T, est).double() * weight[..., None]   # [k, g, C, n1*n1]
            flat = pos.reshape(-1)
            num.index_add_(0, flat, back.reshape(-1, c, n1 * n1))
            den.index_add_(0, flat, weight.expand(k, -1, -1).reshape(-1, c))
        k *= 2
    blocks = (num @ inv.T.double()) * win.double()     # [N, C, n1*n1]
    weights = (den[..., None] * win.double()).expand_as(blocks)
    fold = lambda b: F.fold(b.permute(1, 2, 0).contiguous(), (h, w), n1)[:, 0]
    return (fold(blocks) / fold(weights)).float()


def cbm3d(noisy_rgb, sigma):
    """noisy_rgb: [3, H, W] float in [0, 1] scale; sigma on the 0-255 scale."""
    opp = OPP.float()
    z = torch.einsum('ij,jhw->ihw', opp, noisy_rgb)
    sigmas = (sigma / 255 * OPP.norm(dim=1)).tolist()
    p1, p2 = profile(sigma)
    basic = collaborate(z, None, sigmas, p1, 1)
    final = collaborate(z, basic, sigmas, p2, 2)
    return torch.einsum('ij,jhw->ihw', torch.linalg.inv(OPP).float(), final)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--clean', required=True)
    ap.add_argument('--sigma', default='15,25,50')
    ap.add_argument('--protocol', choices=['paper', 'user'], default='paper')
    ap.add_argument('--limit', type=int, default=0, help='only the first N files (sorted by name)')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=0)
    ap.add_argument('--noisy', help='8-bit noisy PNGs of the same names to denoise instead (one --sigma: their true level)')
    ap.add_argument('--save', help='write the denoised PNGs here')
    args = ap.parse_args()
    if args.noisy and ',' in args.sigma:
        ap.error('--noisy takes one --sigma: the true level of those files')
    if args.threads:
        torch.set_num_threads(args.threads)
    names = sorted(n for n in os.listdir(args.clean) if n.lower().endswith(('.png', '.jpg', '.jpeg', '.bmp', '.tif')))
    if args.limit:
        names = names[:args.limit]
    for sigma in [float(s) for s in args.sigma.split(',')]:
        rng = np.random.default_rng(args.seed)
        scores, noisy_scores, t0 = [], [], time.time()
        for name in names:
            clean = read_rgb(os.path.join(args.clean, name))
            if args.noisy:
                noisy = read_rgb(os.path.join(args.noisy, os.path.splitext(name)[0] + '.png')).astype(np.float64)
            else:
                noisy = clean.astype(np.float64) + sigma * rng.standard_normal(clean.shape)
                if args.protocol == 'user':
                    noisy = np.clip(np.round(noisy), 0, 255)
            x = torch.tensor(noisy / 255, dtype=torch.float32).permute(2, 0, 1).contiguous()
            with torch.no_grad():
                y = cbm3d(x, sigma).permute(1, 2, 0).numpy()
            out = np.clip(np.round(y * 255), 0, 255).astype(np.uint8)
            if args.save:
                os.makedirs(args.save, exist_ok=True)
                cv2.imwrite(os.path.join(args.save, os.path.splitext(name)[0] + '.png'), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
            scores.append(psnr8(out, clean))
            noisy_scores.append(psnr8(np.clip(np.round(noisy), 0, 255), clean))
            print(json.dumps({'file': name, 'noise': f'gaussian:{sigma:g}', 'psnr': scores[-1]}), file=sys.stderr, flush=True)
        print(json.dumps({'tool': 'cbm3d (bench/cbm3d.py)', 'set': args.clean, 'noise': f'gaussian:{sigma:g}', 'protocol': 'given: ' + args.noisy if args.noisy else args.protocol,
                          'psnr': float(np.mean(scores)), 'noisyPsnr': float(np.mean(noisy_scores)), 'images': len(names),
                          'secondsPerImage': (time.time() - t0) / len(names)}), flush=True)


if __name__ == '__main__':
    main()
