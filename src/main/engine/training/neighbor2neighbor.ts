/**
 * Self-supervised training from noisy photos alone, after Neighbor2Neighbor
 * (Huang et al., CVPR 2021). Each noisy patch y is split by a random
 * neighbour sub-sampler into two half-size images g1(y) and g2(y): in every
 * 2x2 cell, g1 takes one pixel and g2 one of its two horizontal or vertical
 * neighbours. Their noise is independent while their content nearly matches,
 * so the network learns f(g1(y)) ≈ g2(y). A regulariser corrects for the
 * content mismatch: with f(y) computed without gradients,
 *   L = |f(g1 y) - g2 y|² + γ |f(g1 y) - g2 y - (g1 f(y) - g2 f(y))|²,
 * with γ ramped from 0 to GAMMA_MAX over the run as in the paper. Both terms
 * have the same prediction, so L equals (1 + γ) times the squared error to
 * one target, g2 y + γ/(1+γ) (g1 f(y) - g2 f(y)), plus a constant: a
 * supervised step on (g1 y, that target), which is how the loop runs it, on
 * ONNX Runtime like any supervised step.
 */
import type { Rng } from '../data/rng';

/** The regulariser's final weight (the paper's "increase ratio" for Gaussian noise). */
export const GAMMA_MAX = 2;

/** γ at a point of the run (0 at the start, GAMMA_MAX at the end). */
export function gammaAt(progress: number): number {
  return GAMMA_MAX * Math.min(1, Math.max(0, progress));
}

/** The 2x2 cell's pixels 0 (0,0), 1 (0,1), 2 (1,0), 3 (1,1), and each one's horizontal and vertical neighbours. */
const NEIGHBOURS = [[1, 2], [0, 3], [0, 3], [1, 2]] as const;

/** For each cell of n images of h x w cells: the pixel g1 takes and the one g2 takes (a neighbour of it). */
export interface CellChoice {
  first: Uint8Array;
  second: Uint8Array;
}

export function chooseNeighbours(cells: number, rng: Rng): CellChoice {
  const first = new Uint8Array(cells);
  const second = new Uint8Array(cells);
  for (let i = 0; i < cells; i++) {
    const a = Math.floor(rng.next() * 4);
    first[i] = a;
    second[i] = NEIGHBOURS[a][rng.next() < 0.5 ? 0 : 1];
  }
  return { first, second };
}

/**
 * g1 and g2 of n NHWC images of `size` x `size` (even) with c channels: each
 * [n, size/2, size/2, c], taking the chosen pixel of every 2x2 cell.
 */
export function subsample(data: Float32Array, n: number, size: number, c: number, choice: CellChoice): { g1: Float32Array; g2: Float32Array } {
  const half = size / 2;
  const g1 = new Float32Array(n * half * half * c);
  const g2 = new Float32Array(n * half * half * c);
  for (let b = 0, cell = 0; b < n; b++) {
    for (let y = 0; y < half; y++) {
      for (let x = 0; x < half; x++, cell++) {
        const pick = (k: number) => ((b * size + 2 * y + (k >> 1)) * size + 2 * x + (k & 1)) * c;
        const s1 = pick(choice.first[cell]), s2 = pick(choice.second[cell]);
        for (let ch = 0; ch < c; ch++) {
          g1[cell * c + ch] = data[s1 + ch];
          g2[cell * c + ch] = data[s2 + ch];
        }
      }
    }
  }
  return { g1, g2 };
}

/** The target of the equivalent supervised step: g2 y + γ/(1+γ) (g1 f(y) - g2 f(y)). */
export function regularisedTarget(g2: Float32Array, g1f: Float32Array, g2f: Float32Array, gamma: number): Float32Array {
  const k = gamma / (1 + gamma);
  const out = new Float32Array(g2.length);
  for (let i = 0; i < g2.length; i++) out[i] = g2[i] + k * (g1f[i] - g2f[i]);
  return out;
}
