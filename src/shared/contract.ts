/**
 * The IPC contract between the renderer and the main process: every request
 * channel with its payload schema (validated at runtime in main) and result
 * type, and every event main pushes. Main, preload and renderer all type-check
 * against this one file.
 */
import { z } from 'zod';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from './channels';
import { ENSEMBLE_PASSES, type EnsemblePasses } from './ensemble';
import { ARCHITECTURES, LOSSES, LR_SCHEDULES, OUTPUT_FORMATS } from './vocabulary';
import type { EpochMetrics } from './epoch-metrics';
import type { NoiseReading } from './noise-reading';
import type { TrainingEstimate } from './training-estimate';

export { EVENT_CHANNELS, REQUEST_CHANNELS };

const id = z.string().min(1).max(200).regex(/^[\w.:-]+$/, 'invalid id');
/** A local path the user dropped on the window; main accepts only paths the preload reported (services/grants.ts). */
const localPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'invalid path');
/** A noise spec (the engine parses it); long enough for a mix of many parts, such as the photo preset. */
const noiseSpec = z.string().min(1).max(1000);

const TrainRequestSchema = z.object({
  name: z.string().min(1).max(100).optional(),
  datasetId: id,
  arch: z.enum(ARCHITECTURES),
  depth: z.number().int().min(3).max(40).optional(),
  width: z.number().int().min(4).max(256).optional(),
  channels: z.union([z.literal(1), z.literal(3)]).optional(),
  noise: noiseSpec,
  epochs: z.number().int().min(1).max(10_000),
  batch: z.number().int().min(1).max(1024),
  lr: z.number().positive().max(1),
  lrSchedule: z.enum(LR_SCHEDULES),
  loss: z.enum(LOSSES),
  patch: z.number().int().min(16).max(512),
  patchesPerEpoch: z.number().int().min(1).max(10_000_000),
  /** Fine-tune: start from this model's weights and architecture (arch, depth, width, channels then come from it). */
  initModelId: id.optional(),
  /** Linear learning-rate warm-up over this many steps. */
  warmupSteps: z.number().int().min(0).max(1_000_000).optional(),
  /** The dataset is noisy photos with no clean versions: learn self-supervised, adding no noise. */
  selfSupervised: z.boolean().optional(),
  /** Quantization-aware: learn weights that keep their quality in 8-bit integer convolutions (faster denoising). */
  int8: z.boolean().optional(),
}).strict();
export type TrainRequest = z.infer<typeof TrainRequestSchema>;

const none = z.undefined().or(z.object({}).strict());
/** How a photo is denoised: the model, its noise level or strength, and the self-ensemble passes (absent: by the photo's size, autoEnsemble). */
const denoiseSettings = {
  modelId: id.optional(),
  sigma: z.number().min(0).max(255).optional(),
  strength: z.number().min(0).max(1).optional(),
  ensemble: z.literal(ENSEMBLE_PASSES).optional(),
};
export type DenoiseSettings = z.infer<z.ZodObject<typeof denoiseSettings>>;

/** Request channels: payload schema (validated in main) and result type. */
export const requestSchemas = {
  'app:info': none,
  'engine:status': none,
  'datasets:list': none,
  'datasets:addFolder': z.object({ path: localPath.optional() }).strict(),
  'datasets:remove': z.object({ id }).strict(),
  'datasets:downloadFashionMnist': none,
  'datasets:page': z.object({
    id, offset: z.number().int().min(0).max(10_000_000), limit: z.number().int().min(1).max(500),
    label: z.number().int().min(0).max(9).nullable().optional(),
  }).strict(),
  'datasets:inspect': z.object({ id, index: z.number().int().min(0).max(10_000_000), noise: noiseSpec, seed: z.number().int().min(0).max(2 ** 31) }).strict(),
  'train:start': TrainRequestSchema,
  'train:estimate': TrainRequestSchema,
  'train:stop': z.object({ runId: id }).strict(),
  'train:resume': z.object({ runId: id }).strict(),
  'runs:list': none,
  'denoise:add': z.object({ paths: z.array(localPath).min(1).max(1000) }).strict(),
  'denoise:openDialog': none,
  'denoise:remove': z.object({ ids: z.array(id).max(1000) }).strict(),
  'denoise:run': z.object({ ids: z.array(id).min(1).max(1000), ...denoiseSettings }).strict(),
  'denoise:preview': z.object({ id, ...denoiseSettings }).strict(),
  'denoise:reveal': none,
  'denoise:cancel': none,
  'denoise:export': z.object({
    ids: z.array(id).min(1).max(1000), format: z.enum(OUTPUT_FORMATS),
    /** JPEG and WebP quality. */
    quality: z.number().int().min(1).max(100).optional(),
    /** Added to each file's name, e.g. "-denoised". */
    suffix: z.string().max(40).regex(/^[\w .-]*$/, 'letters, digits, spaces, dots, dashes and underscores only').optional(),
  }).strict(),
  'models:list': none,
  'models:import': none,
  'models:export': z.object({ id }).strict(),
  'models:delete': z.object({ id }).strict(),
  'models:setDefault': z.object({ id }).strict(),
} as const;

export type RequestChannel = keyof typeof requestSchemas;
// Compile-time check that the dependency-free channel list matches the schemas.
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const channelListMatches: SameKeys<RequestChannel, (typeof REQUEST_CHANNELS)[number]> = true;
void channelListMatches;
export type RequestPayload<C extends RequestChannel> = z.input<(typeof requestSchemas)[C]>;

export interface ArchitectureInfo {
  name: string;
  description: string;
  noiseMap: boolean;
  defaults: { depth: number; width: number };
  params: { grey: number; colour: number };
  flopsPerPixel: { grey: number; colour: number };
}

export interface EngineStatus {
  state: 'starting' | 'ready' | 'crashed';
  backend: string;
  /** Native runtime used next to the backend for denoising and training steps ("onnxruntime"), if it loads. */
  accelerator?: string;
  /** CPU threads the engine uses (the wasm thread pool, ONNX Runtime). */
  threads: number;
  memoryMb: number;
  restarts: number;
  lastError?: string;
}

export interface Dataset {
  id: string;
  kind: 'fashion-mnist' | 'folder';
  name: string;
  path?: string;
  count: number;
  downloaded: boolean;
  classes?: string[];
}

export interface DatasetItem {
  index: number;
  name: string;
  label?: string;
  url: string;
}

export type RunStatus = 'running' | 'paused' | 'completed' | 'crashed';

export interface Run {
  id: string;
  name: string;
  request: TrainRequest;
  status: RunStatus;
  created: string;
  modelDir: string;
  epochs: EpochMetrics[];
  steps: { t: number; loss: number }[];
  elapsedSec: number;
  etaSec: number;
  samplesPerSec: number;
  /** What computes the steps, e.g. "onnxruntime, 2 threads" (set when a run starts or resumes). */
  engine?: string;
  lastError?: string;
}

export interface QueueItem {
  id: string;
  path: string;
  name: string;
  state: 'queued' | 'working' | 'done' | 'error';
  fraction: number;
  output?: string;
  error?: string;
  /** The model the photo went through (the default's grey companion for grey photos with white noise). */
  model?: string;
  noise?: NoiseReading;
  /** The self-ensemble passes it was denoised in (the photo's size decides unless the user picks). */
  passes?: EnsemblePasses;
  /** Something the user should know about the result, e.g. which page of a multi-page file was used. */
  note?: string;
  inputUrl: string;
  /** A small rendering of the photo for the queue. */
  thumbUrl: string;
  outputUrl?: string;
}

export interface ModelEntry {
  id: string;
  name: string;
  dir: string;
  bundled: boolean;
  isDefault: boolean;
  arch: string;
  channels: number;
  noise: string;
  /** What the model is for, in a sentence. */
  purpose: string;
  /** It takes a noise level (the strength control sets it). */
  noiseMap: boolean;
  /** It finds the noise level itself when none is set. */
  blind: boolean;
  params: number;
  flopsPerPixel: number;
  /** How long a 12 MP photo takes on this computer, when known. */
  speed?: ModelSpeed;
  metrics?: Record<string, unknown>;
  updated: string;
}

/**
 * A model's speed on this computer, one pass (the default quality): measured on the largest photo it denoised here
 * (`megapixels`: below 1 MP, the app shows the time for that photo rather than scaling it up),
 * or estimated from another model's measurement and the two models' work per pixel.
 */
export type ModelSpeed =
  | { kind: 'measured'; secondsPer12MP: number; megapixels: number }
  | { kind: 'estimated'; secondsPer12MP: number; from: string };

export interface ExportResult {
  written: string[];
  errors: { id: string; error: string }[];
}

/** Result type of each request channel. */
export interface RequestResults {
  'app:info': { version: string; architectures: ArchitectureInfo[]; userData: string };
  'engine:status': EngineStatus;
  'datasets:list': Dataset[];
  'datasets:addFolder': Dataset | null;
  'datasets:remove': void;
  'datasets:downloadFashionMnist': Dataset;
  'datasets:page': { total: number; items: DatasetItem[] };
  'datasets:inspect': { clean: string; noisy: string; psnr: number; label?: string };
  'train:start': Run;
  'train:estimate': TrainingEstimate;
  'train:stop': void;
  'train:resume': Run;
  'runs:list': Run[];
  'denoise:add': QueueItem[];
  'denoise:openDialog': QueueItem[];
  'denoise:remove': void;
  'denoise:run': QueueItem[];
  'denoise:preview': { before: string; after: string; model: string; noise?: NoiseReading; passes: EnsemblePasses };
  'denoise:export': ExportResult | null;
  'denoise:reveal': void;
  'denoise:cancel': void;
  'models:list': ModelEntry[];
  'models:import': ModelEntry | null;
  'models:export': string | null;
  'models:delete': void;
  'models:setDefault': void;
}

/** Events main pushes to the renderer. */
export interface EventPayloads {
  'engine:status': EngineStatus;
  'run:update': Run;
  'denoise:item': QueueItem;
  'datasets:progress': { file: string; received: number; total: number; state: string };
  'app:notice': { level: 'info' | 'warn' | 'error'; message: string };
  'app:navigate': { view: 'datasets' | 'train' | 'denoise' | 'models' };
}
export type EventChannel = keyof EventPayloads;
const eventListMatches: SameKeys<EventChannel, (typeof EVENT_CHANNELS)[number]> = true;
void eventListMatches;

/** The one object the preload exposes on `window.denoiseLab`. */
export interface DenoiseLabApi {
  invoke<C extends RequestChannel>(channel: C, payload?: RequestPayload<C>): Promise<RequestResults[C]>;
  on<E extends EventChannel>(channel: E, listener: (payload: EventPayloads[E]) => void): () => void;
  /** The local path of a dropped File (Electron's webUtils), or '' where unknown. */
  pathForFile(file: File): string;
}

/** Parses a payload for a channel; throws a readable error for anything off-contract. */
export function validatePayload<C extends RequestChannel>(channel: C, payload: unknown): RequestPayload<C> {
  const schema = requestSchemas[channel];
  if (!schema) throw new Error(`unknown channel "${String(channel)}"`);
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`invalid payload for ${channel}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data as RequestPayload<C>;
}

export function isRequestChannel(channel: unknown): channel is RequestChannel {
  return typeof channel === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, channel);
}
