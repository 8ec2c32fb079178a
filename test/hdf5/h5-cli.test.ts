/**
 * CLI over the prototype's HDF5 files: `deepmad h5` (inspect / dump / convert) and `deepmad classify`
 * reading normed_data.h5 with the prototype model MNAD-DNN.h5 and its card. Runs the built CLI
 * (npm test builds dist/ first); skips without ../shared.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readPandasTable } from '../../lib/hdf5/pandas-table.js';

const repo = path.resolve(__dirname, '..', '..');
const cli = path.join(repo, 'dist', 'bin', 'deepmad.js');
const seed = path.resolve(repo, '..', 'shared', 'data', 'seed');
const skip = fs.existsSync(path.join(seed, 'hdf5', 'normed_data.h5')) ? false : `prototype files absent (${seed})`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-h5cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const run = (...args: string[]): string => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('deepmad h5 / classify on the prototype files', () => {
  it('h5 lists the frame: 87 rows, 55 columns, the 6 all-NaN float64 columns', { skip }, () => {
    const out = run('h5', path.join(seed, 'hdf5', 'normed_data.h5'));
    assert.match(out, /key 'data', 87 rows, 55 columns/);
    assert.match(out, /\n {2}Destination Port {2}uint8\n/);
    assert.match(out, /\n {2}Idle Min {2}float64 {2}\(87 NaN\)/);
  });

  it('h5 --head prints rows as pandas holds them; --to-pandas writes an equal frame', { skip }, async () => {
    const head = run('h5', path.join(seed, 'hdf5', 'normed_data.h5'), '--head', '2').trim().split('\n');
    assert.equal(head.length, 3);
    assert.ok(head[1].startsWith('0,186,225,0,0,47,225,55,154,'));
    assert.ok(head[2].startsWith('1,1,225,0,0,0,'));
    const out = path.join(tmp, 'copy.h5');
    run('h5', path.join(seed, 'hdf5', 'Normalized-data.h5'), '--to-pandas', out);
    const a = await readPandasTable(out);
    const b = await readPandasTable(path.join(seed, 'hdf5', 'Normalized-data.h5'));
    assert.deepEqual(a, b);
  });

  it('classify reads normed_data.h5 and runs MNAD-DNN.h5 with its card: 87 rows, 6 flagged', { skip }, () => {
    const pred = path.join(tmp, 'pred.csv');
    const out = execFileSync(process.execPath, [cli, 'classify', path.join(seed, 'hdf5', 'normed_data.h5'), '--model', path.join(seed, 'MNAD-DNN.h5'),
      '--card', path.join(repo, 'models', 'MNAD-DNN.card.json'), '-o', pred, '--quiet'], { encoding: 'utf8' });
    assert.equal(out, '');
    const lines = fs.readFileSync(pred, 'utf8').trim().split('\n');
    assert.equal(lines.length, 88);
    assert.equal(lines.slice(1).filter((l) => l.endsWith(',1')).length, 6);
  });

  it('classify explains which model columns a file lacks', { skip }, () => {
    assert.throws(() => execFileSync(process.execPath, [cli, 'classify', path.join(seed, 'hdf5', 'Normalized-data.h5'), '--model', path.join(seed, 'MNAD-DNN.h5'),
      '--card', path.join(repo, 'models', 'MNAD-DNN.card.json'), '--quiet'], { encoding: 'utf8', stdio: 'pipe' }),
    (e: { stderr: string }) => /missing 6 of the model's 55 columns: Fwd Header Length, URG Flag Count, Idle Mean/.test(e.stderr));
  });
});
