/**
 * Messages between the main process and an engine host process: requests
 * with ids, their results or errors, and events tagged with the request id.
 * `HostMethods` is the one typed map of what a host can be asked: the client
 * sends through it and the host's handlers implement it, so neither side casts.
 */
import type { ArchitectureInfo, DenoiseSettings as QueueSettings, RequestResults } from '../../shared/contract';
import type { FileResult } from '../engine/inference/outputs';
import type { OutputFormat } from '../../shared/vocabulary';
import type { TrainConfig, TrainEvent } from '../engine/training/config';
import type { EpochMetrics } from '../../shared/epoch-metrics';
import type { TrainingEstimate } from '../../shared/training-estimate';

/** The Denoise view's settings, with the model resolved to folders. */
interface DenoiseSettings extends Omit<QueueSettings, 'modelId'> {
  modelDir: string;
  /** modelDir's grey companion, when given: grey photos go to the one grey-route.ts picks. */
  greyModelDir?: string;
}

/** Which of the two model folders a photo went through. */
interface ModelUsed {
  modelDir: string;
}

type InspectSource = { kind: 'fashion-mnist'; cacheDir: string } | { kind: 'file'; path: string };

export interface HostMethods {
  info: { params: undefined; result: { backend: string; accelerator?: string; cpus: number; architectures: ArchitectureInfo[] }; event: never };
  memory: { params: undefined; result: { rssMb: number }; event: never };
  train: { params: { config: TrainConfig; resume: boolean }; result: EpochMetrics | undefined; event: TrainEvent };
  /** Times a few real steps of the run `config` describes (its `out` is not used). */
  estimateTraining: { params: { config: TrainConfig }; result: TrainingEstimate; event: never };
  /** Photos to lossless PNGs in outDir, in order, each with the model folder it went through; events per photo. Cancelling stops before the next photo. */
  denoise: { params: DenoiseSettings & { inputs: string[]; outDir: string }; result: (Extract<FileResult, { ok: true }> & ModelUsed | Extract<FileResult, { ok: false }>)[]; event: { index: number; fraction: number } };
  /** Denoised files to `dir` in `format`, one encode each, with their originals' names and metadata; never over a `protect`ed file. */
  export: { params: { items: { output: string; original: string }[]; dir: string; format: OutputFormat; quality?: number; suffix?: string; protect: string[] }; result: ({ ok: true; output: string } | { ok: false; error: string })[]; event: never };
  preview: { params: DenoiseSettings & { input: string; maxSide: number }; result: Omit<RequestResults['denoise:preview'], 'model'> & ModelUsed; event: never };
  inspect: { params: { source: InspectSource; index: number; noise: string; seed: number }; result: RequestResults['datasets:inspect']; event: never };
  /** A PNG the browser can show (base64): a TIFF or BMP file converted, or a Fashion-MNIST image; decoded here, never in main. */
  /** An image as PNG for the renderer: a format the browser cannot show, or a thumbnail (at most maxSide pixels wide and high). */
  displayable: { params: { source: InspectSource; index: number; maxSide?: number }; result: { png: string }; event: never };
  cancel: { params: { id: number }; result: null; event: never };
}

export type HostMethod = keyof HostMethods;
export type HostParams<M extends HostMethod> = HostMethods[M]['params'];
export type HostResult<M extends HostMethod> = HostMethods[M]['result'];
export type HostEvent<M extends HostMethod> = HostMethods[M]['event'];

export interface HostRequest {
  id: number;
  method: HostMethod;
  params?: unknown;
}

export type HostMessage =
  | { id: number; result: unknown }
  | { id: number; error: { message: string; user: boolean } }
  | { id: number; event: unknown };
