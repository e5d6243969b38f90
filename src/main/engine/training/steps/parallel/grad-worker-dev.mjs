// Runs the TypeScript gradient worker from source (CLI via tsx, tests): worker
// threads do not inherit tsx's loader, so register it here first.
import { register } from 'tsx/esm/api';

register();
await import('./grad-worker.ts');
