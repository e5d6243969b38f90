#!/usr/bin/python3
"""The classical tool a user could pick instead: OpenCV's non-local means (fastNlMeansDenoisingColored
for colour sets, fastNlMeansDenoising for grey ones), run on the noisy inputs that bench/holdout.ts
writes, at each strength h of a grid; prints one JSON line per h and one for
the best h of the set (the tool's best case: its strength tuned on the very set
it is scored on). PSNR is on the 8-bit grid, as the project's eval computes it.

  /usr/bin/python3 bench/classical-baseline.py --noisy runs/holdout/CBSD68@camera_0.004_90 --clean ../shared/data/denoise/test/CBSD68
Needs Debian's python3-opencv (run it with Debian's /usr/bin/python3).
"""
import argparse, json, os
import cv2
import numpy as np

from image8 import psnr8


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--noisy', required=True)
    ap.add_argument('--clean', required=True)
    ap.add_argument('--h', default='3,5,7,9,11,13,15,18,21,25')
    args = ap.parse_args()
    pairs = []
    for name in sorted(os.listdir(args.clean)):
        stem = os.path.splitext(name)[0]
        clean = cv2.imread(os.path.join(args.clean, name), cv2.IMREAD_ANYCOLOR)  # grey stays grey; 8 bits either way
        if clean is None:
            continue
        noisy = cv2.imread(os.path.join(args.noisy, stem + '.png'), cv2.IMREAD_GRAYSCALE if clean.ndim == 2 else cv2.IMREAD_COLOR)
        if noisy is not None:
            pairs.append((noisy, clean))
    if not pairs:
        raise SystemExit(f'no noisy PNG in {args.noisy} matches a file in {args.clean}')
    grey = all(c.ndim == 2 for _, c in pairs)
    if not grey and any(c.ndim == 2 for _, c in pairs):
        raise SystemExit(f'{args.clean} mixes grey and colour images; give one kind per set')
    tool = 'cv2.fastNlMeansDenoising' if grey else 'cv2.fastNlMeansDenoisingColored'
    denoise = (lambda n, h: cv2.fastNlMeansDenoising(n, None, h, 7, 21)) if grey else (lambda n, h: cv2.fastNlMeansDenoisingColored(n, None, h, h, 7, 21))
    noisy_psnr = float(np.mean([psnr8(n, c) for n, c in pairs]))
    best = None
    for h in [float(x) for x in args.h.split(',')]:
        score = float(np.mean([psnr8(denoise(n, h), c) for n, c in pairs]))
        row = {'tool': tool, 'noisy': args.noisy, 'h': h, 'psnr': score, 'noisyPsnr': noisy_psnr, 'images': len(pairs)}
        print(json.dumps(row), flush=True)
        if best is None or score > best['psnr']:
            best = row
    print(json.dumps({**best, 'best': True}))


if __name__ == '__main__':
    main()
