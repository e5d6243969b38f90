/** One epoch's metrics, under one name: the engine's epoch events, checkpoints and the IPC contract's run records (types only). */
export interface EpochMetrics {
  epoch: number;
  loss: number;
  /** The validation loss: the training loss against clean images, or a self-supervised run's loss on held-out noisy photos. */
  valLoss: number;
  /** Quality against clean validation images; absent in a self-supervised run, which has none. */
  psnr?: number;
  ssim?: number;
  /** PSNR of the noisy validation inputs, for reference. */
  noisyPsnr?: number;
  samplesPerSec: number;
  /** Seconds of steps in the epoch. */
  seconds: number;
  /** Learning rate at the epoch's end. */
  lr: number;
  /** Live TF.js tensors at the epoch's end (a leak shows as growth). */
  tensors: number;
  preview?: string;
}
