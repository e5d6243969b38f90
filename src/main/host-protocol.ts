/**
 * Messages between the main process and an engine host process: requests
 * with ids, their results or errors, and events tagged with the request id.
 */
export interface HostRequest {
  id: number;
  method: string;
  params?: unknown;
}

export type HostMessage =
  | { id: number; result: unknown }
  | { id: number; error: { message: string; user: boolean } }
  | { id: number; event: unknown };
