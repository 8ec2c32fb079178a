/**
 * deepmad-normalize: flows in (`deepmad/flows`, one object or an array), uint8 feature rows out
 * (`deepmad/rows`, a NormalizedBatch). All logic lives in lib/normalize; this file maps the editor
 * config and Node-RED events onto it.
 */
import path from 'node:path';
import { batchToObjects, createNormalizer, isFlowColumns, normalizeAny, type FlowColumns, type FlowRecord, type NonFinite, type Normalizer } from '../../lib/normalize/index.js';
import type { Msg, Send, Done, RedNode, NodeAPI } from '../node-red-api.js';


interface NormalizeConfig {
  name?: string;
  mode?: string;
  scalerFile?: string;
  columns?: string;
  drop?: string;
  keepIdentity?: boolean;
  freezeAfter?: string | number;
  saveEvery?: string | number;
  nonFinite?: string;
  output?: 'batch' | 'objects';
  keepFlows?: boolean;
}

/** Splits a list typed in the editor: one name per line, or comma-separated. */
function parseList(text: string | undefined): string[] {
  if (!text) return [];
  const parts = text.includes('\n') ? text.split('\n') : text.split(',');
  return parts.map((s) => s.trim()).filter((s) => s !== '');
}

const num = (v: unknown, dflt: number): number => {
  const n = Number(v);
  return v === undefined || v === null || String(v).trim() === '' || !Number.isFinite(n) ? dflt : n;
};

export = function register(RED: NodeAPI) {
  function NormalizeNode(this: RedNode, config: NormalizeConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const mode = config.mode || 'scaler';
    const output = config.output === 'objects' ? 'objects' : 'batch';
    const keepFlows = config.keepFlows !== false;
    // Relative paths are relative to the Node-RED user directory, like the file nodes'.
    const rawFile = (config.scalerFile ?? '').trim();
    const scalerFile = rawFile && !path.isAbsolute(rawFile) ? path.resolve(RED.settings.userDir ?? process.cwd(), rawFile) : rawFile;
    let rows = 0;
    let normalizer: Normalizer | null = null;
    let setupError: Error | null = null;
    try {
      normalizer = createNormalizer({
        mode,
        scalerFile: scalerFile || undefined,
        columns: parseList(config.columns),
        drop: parseList(config.drop),
        keepIdentity: !!config.keepIdentity,
        freezeAfterRows: num(config.freezeAfter, 0),
        nonFinite: (config.nonFinite === 'clamp' ? 'clamp' : 'zero') as NonFinite,
      });
      const cols = normalizer.columns;
      node.status({ fill: 'yellow', shape: 'ring', text: cols ? `${mode}: ${cols.length} columns` : `${mode}: waiting` });
    } catch (err) {
      setupError = err as Error;
      node.status({ fill: 'red', shape: 'ring', text: shortText(setupError.message) });
      node.error(setupError);
    }

    const save = (): void => {
      try {
        normalizer?.save();
      } catch (err) {
        node.error(new Error(`cannot save the learned scaler: ${(err as Error).message}`));
      }
    };
    const saveEveryMs = num(config.saveEvery, 60) * 1000;
    const timer = mode === 'online' && scalerFile && saveEveryMs > 0 ? setInterval(save, saveEveryMs) : null;
    timer?.unref?.();

    node.on('input', (msg, send, done) => {
      if (msg.topic === 'deepmad/eof') {
        save();
        send(msg); // downstream (hdf5 out) flushes on the end of a source too
        done();
        return;
      }
      if (!normalizer) {
        done(setupError ?? new Error('normalize is not configured'));
        return;
      }
      const p = msg.payload;
      // A columnar batch (flowmeter "Payload: columns") is read straight from its matrix.
      const flows: FlowRecord[] | FlowColumns | null = isFlowColumns(p) ? p
        : Array.isArray(p) ? p : p && typeof p === 'object' && !ArrayBuffer.isView(p) ? [p] : null;
      if (!flows || (Array.isArray(flows) && flows.some((f) => typeof f !== 'object' || f === null))) {
        done(new Error('msg.payload must be a flow object or an array of flow objects, or a flow-columns batch (connect a flowmeter before normalize)'));
        return;
      }
      try {
        const batch = normalizeAny(normalizer, flows);
        rows += batch.rows;
        if (keepFlows) msg.flows = flows;
        msg.topic = 'deepmad/rows';
        msg.columns = batch.columns;
        msg.payload = output === 'objects' ? batchToObjects(batch) : batch;
        node.status({ fill: 'green', shape: 'dot', text: `${rows.toLocaleString('en-US')} rows, ${batch.columns.length} cols` });
        send(msg);
        done();
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: shortText((err as Error).message) });
        done(err as Error);
      }
    });

    node.on('close', (_removed, done) => {
      if (timer) clearInterval(timer);
      save();
      done();
    });
  }
  RED.nodes.registerType('deepmad-normalize', NormalizeNode);
};

function shortText(s: string): string {
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}
