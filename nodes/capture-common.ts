/**
 * Small pieces shared by the capture and pcap-in node wrappers: the part of the Node-RED API they
 * use (Node-RED ships no TypeScript types), config parsing, status texts and error reporting.
 */
import { CaptureSetupError } from '../lib/capture/capture-errors.js';

export type Msg = Record<string, any>;
export interface NodeStatus { fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey'; shape?: 'ring' | 'dot'; text?: string }
export type Send = (msg: Msg | Array<Msg | Msg[] | null>) => void;
export type Done = (err?: Error) => void;

export interface RedNode {
  id: string;
  name?: string;
  on(event: 'input', cb: (msg: Msg, send: Send, done: Done) => void): void;
  on(event: 'close', cb: (removed: boolean, done: () => void) => void): void;
  send(msg: Msg | Array<Msg | Msg[] | null>): void;
  status(s: NodeStatus | Record<string, never>): void;
  log(s: string): void;
  warn(s: unknown): void;
  error(e: unknown, msg?: Msg): void;
}

type Handler = (req: { query: Record<string, string | undefined> }, res: { json(v: unknown): void; status(n: number): { json(v: unknown): void } }) => void;
export interface NodeAPI {
  nodes: {
    createNode(node: object, config: object): void;
    registerType(type: string, ctor: unknown, opts?: object): void;
  };
  settings: Record<string, any>;
  httpAdmin?: { get(path: string, ...handlers: unknown[]): void };
  auth?: { needsPermission(p: string): unknown };
  _?: (key: string, subs?: object) => string;
}

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
