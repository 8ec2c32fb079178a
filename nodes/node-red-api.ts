/**
 * The part of the Node-RED runtime API our node wrappers use. Node-RED ships no TypeScript
 * types, so every node imports these instead of declaring its own.
 */
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
  log(s: unknown): void;
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
  version(): string;
  util: { getSetting?(node: unknown, name: string): unknown };
  httpAdmin?: { get(path: string, ...handlers: Handler[] | unknown[]): void };
  auth?: { needsPermission(p: string): unknown };
  _?: (key: string, subs?: object) => string;
}
