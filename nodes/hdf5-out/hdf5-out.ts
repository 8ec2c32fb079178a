/**
 * deepmad-hdf5-out: uint8 feature rows in (`deepmad/rows` from normalize), HDF5 files on disk
 * (lib/hdf5 writer: buffered block appends, rotation, pandas/h5py-readable layout). Sends one
 * message per finished file. h5wasm is loaded lazily, so the node registers even when it is broken.
 */
import path from 'node:path';
import type { Hdf5FileSummary, Hdf5RowWriter } from '../../lib/hdf5/writer.js';
import { isNormalizedBatch } from '../../lib/normalize/rows.js';
import type { Msg, Send, Done, RedNode, NodeAPI } from '../node-red-api.js';


interface Hdf5OutConfig {
  name?: string;
  file?: string;
  existing?: 'append' | 'overwrite' | 'error';
  blockRows?: string | number;
  compression?: string | number;
  rotateMB?: string | number;
  rotateMinutes?: string | number;
  flushSeconds?: string | number;
  trace?: boolean;
  closeOnEof?: boolean;
  /** 'deepmad' (default, lib/hdf5/writer) or 'pandas-table' (the prototype's pandas table layout, lib/hdf5/pandas-writer). */
  layout?: 'deepmad' | 'pandas-table';
}

const num = (v: unknown, dflt: number): number => {
  const n = Number(v);
  return v === undefined || v === null || String(v).trim() === '' || !Number.isFinite(n) ? dflt : n;
};

export = function register(RED: NodeAPI) {
  function Hdf5OutNode(this: RedNode, config: Hdf5OutConfig) {
    RED.nodes.createNode(this, config);
    const node = this;
    const raw = (config.file ?? '').trim();
    // Relative paths are relative to the Node-RED user directory, like the core file node's output.
    const file = raw && !path.isAbsolute(raw) ? path.resolve(RED.settings.userDir ?? process.cwd(), raw) : raw;
    const shown = path.basename(file || '?');
    let rowsIn = 0;
    let closing = false;

    const finished = (files: Hdf5FileSummary[], msg?: Msg): void => {
      for (const f of files) {
        node.send({ ...(msg ? { source: msg.source } : {}), topic: 'deepmad/hdf5', filename: f.file, payload: f });
      }
    };
    const showOk = (w: Hdf5RowWriter): void => {
      node.status({ fill: 'green', shape: 'dot', text: `${rowsIn.toLocaleString('en-US')} rows → ${path.basename(w.currentFile ?? shown)}` });
    };

    const writer: Promise<Hdf5RowWriter | null> = (async () => {
      if (!file) throw new Error('no output file configured');
      if (config.layout === 'pandas-table') {
        // same append/flush/close surface; cast keeps the rest of the node unchanged
        const { PandasTableWriter } = await import('../../lib/hdf5/pandas-writer.js');
        return (await PandasTableWriter.create({ file, existing: config.existing ?? 'append', trace: config.trace === true })) as unknown as Hdf5RowWriter;
      }
      const { Hdf5RowWriter: Writer } = await import('../../lib/hdf5/writer.js');
      return Writer.create({
        file,
        existing: config.existing ?? 'append',
        blockRows: num(config.blockRows, 4096),
        compression: num(config.compression, 0),
        rotateBytes: num(config.rotateMB, 0) * 1024 * 1024,
        rotateSeconds: num(config.rotateMinutes, 0) * 60,
        trace: config.trace !== false,
      });
    })().then(
      (w) => { node.status({ fill: 'yellow', shape: 'ring', text: `waiting → ${shown}` }); return w; },
      (err: Error) => {
        node.status({ fill: 'red', shape: 'ring', text: err.message.slice(0, 40) });
        node.error(err);
        return null;
      },
    );

    const flushMs = num(config.flushSeconds, 10) * 1000;
    const timer = flushMs > 0 ? setInterval(() => {
      void writer.then((w) => {
        if (!w || closing) return;
        try {
          finished(w.flush());
        } catch (err) {
          node.error(err);
        }
      });
    }, flushMs) : null;
    timer?.unref?.();

    node.on('input', (msg, _send, done) => {
      // Writes happen in arrival order: every handler chains on the same resolved promise.
      void writer.then((w) => {
        if (!w) { done(new Error(`hdf5 out is not ready: ${file ? 'h5wasm failed to load or the file cannot be created' : 'no output file configured'}`)); return; }
        try {
          if (msg.topic === 'deepmad/eof') {
            finished(config.closeOnEof ? w.close() : w.flush(), msg);
            showOk(w);
            done();
            return;
          }
          const batch = msg.payload;
          if (!isNormalizedBatch(batch)) {
            done(new Error('msg.payload is not a row batch (columns, rows, data Uint8Array, trace); connect a normalize node set to output a row batch'));
            return;
          }
          finished(w.append(batch), msg);
          rowsIn += batch.rows;
          showOk(w);
          done();
        } catch (err) {
          node.status({ fill: 'red', shape: 'ring', text: String((err as Error).message).slice(0, 40) });
          done(err as Error);
        }
      });
    });

    node.on('close', (_removed, done) => {
      closing = true;
      if (timer) clearInterval(timer);
      void writer.then((w) => {
        try {
          w?.close();
        } catch (err) {
          node.error(err);
        }
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('deepmad-hdf5-out', Hdf5OutNode);
};
