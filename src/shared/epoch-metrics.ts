/** Per-epoch training metrics: the engine's epoch events and the IPC contract's run records share this shape (types only). */
export interface EpochMetrics {
  epoch: number;
  loss: number;
  valLoss: number;
  psnr: number;
  ssim: number;
  /** PSNR of the noisy validation inputs, for reference. */
  noisyPsnr: number;
  samplesPerSec: number;
  preview?: string;
}
