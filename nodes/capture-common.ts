/**
 * Small pieces shared by the capture and pcap-in node wrappers: the part of the Node-RED API they
 * use (types in node-red-api.ts), config parsing, status texts and error reporting.
 */
import { CaptureSetupError } from '../lib/capture/capture-errors.js';

import type { NodeAPI, NodeStatus } from './node-red-api.js';
export type { Msg, NodeStatus, Send, Done, RedNode, NodeAPI } from './node-red-api.js';

type Handler = (req: { query: Record<string, string | undefined> }, res: { json(v: unknown): void; status(n: number): { json(v: unknown): void } }) => void;

/** A number from an editor field ('' / undefined → `fallback`); rejects junk with a clear message. */
export function numberField(value: unknown, what: string, fallback: number | undefined, opts: { min?: number; integer?: boolean } = {}): number | undefined {
  if (value === undefined || value === null || String(value).trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || (opts.integer !== false && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new CaptureSetupError('BAD_OPTION', `${what} must be ${opts.integer !== false ? 'a whole number' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''} (got "${String(value)}")`);
  }
  return n;
}

/** "1234" → "1234", 12345 → "12.3k", 1234567 → "1.23M": keeps status texts short. */
export function shortCount(n: number): string {
  if (n < 10000) return String(n);
  if (n < 1e6) return `${(n / 1000).toFixed(n < 1e5 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)}M`;
}

/** A short status text for an error (status texts should stay under ~20-30 characters). */
export function errorStatus(err: unknown): NodeStatus {
  const code = err instanceof CaptureSetupError ? err.code : undefined;
  const text = code === 'DUMPCAP_MISSING' ? 'dumpcap not installed'
    : code === 'DUMPCAP_NOT_EXECUTABLE' || code === 'NO_PERMISSION' ? 'no capture permission'
      : code === 'NO_SUCH_INTERFACE' ? 'no such interface'
        : code === 'BAD_FILTER' ? 'bad capture filter'
          : code === 'BAD_OPTION' ? 'bad option'
            : code === 'CAP_MISSING' ? 'cap module missing'
              : 'error';
  return { fill: 'red', shape: 'ring', text };
}

/** An Error whose message carries the fix (CaptureSetupError messages already include the hint). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Registers a GET admin endpoint once per runtime (several node types may share a helper). */
export function adminGet(RED: NodeAPI, path: string, permission: string, handler: Handler): void {
  if (!RED.httpAdmin) return;
  const perm = RED.auth?.needsPermission ? RED.auth.needsPermission(permission) : (_req: unknown, _res: unknown, next: () => void) => next();
  RED.httpAdmin.get(path, perm, (req: Parameters<Handler>[0], res: Parameters<Handler>[1]) => {
    try {
      handler(req, res);
    } catch (err) {
      res.status(500).json({ error: (err as Error).message });
    }
  });
}
