// The deepmad dispatcher: help names every command, unknown commands exit 2, --version prints ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const bin = path.join(__dirname, '..', 'dist', 'bin', 'deepmad.js');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('deepmad --help lists every command with a summary; each command answers --help', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  const names = [...r.stdout.matchAll(/^ {2}(\S+) {2,}\S/gm)].map((m) => m[1]);
  assert.deepEqual(names, ['start', 'detect', 'info', 'flows', 'fit-scaler', 'classify', 'train', 'h5']);
  for (const name of names) {
    const h = run(name, '--help');
    assert.equal(h.status, 0, `${name} --help`);
    assert.match(h.stdout, new RegExp(`usage: deepmad ${name}`), name);
  }
});

test('unknown command: exit 2 with the command list on stderr; --version prints the package version', () => {
  const r = run('frobnicate');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  assert.equal(run('--version').stdout.trim(), require('../package.json').version);
});
