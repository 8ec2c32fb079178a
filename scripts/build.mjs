// Build: tsc (lib/, nodes/, bin/, bench/ -> dist/), then copy each node's editor files
// (.html, locales/) and the icons next to the compiled node so Node-RED finds them.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!fs.existsSync(tsc)) {
  console.error('deepmad build: typescript is not installed (run npm install first)');
  process.exit(1);
}
execFileSync(process.execPath, [tsc, '-p', root], { stdio: 'inherit', cwd: root });

const nodesSrc = path.join(root, 'nodes');
const nodesOut = path.join(root, 'dist', 'nodes');
for (const dirent of fs.existsSync(nodesSrc) ? fs.readdirSync(nodesSrc, { withFileTypes: true }) : []) {
  if (!dirent.isDirectory()) continue;
  const from = path.join(nodesSrc, dirent.name);
  const to = path.join(nodesOut, dirent.name);
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from, { withFileTypes: true })) {
    if (f.isFile() && f.name.endsWith('.html')) fs.copyFileSync(path.join(from, f.name), path.join(to, f.name));
    if (f.isDirectory() && f.name === 'locales') fs.cpSync(path.join(from, f.name), path.join(to, f.name), { recursive: true });
  }
  // Node-RED looks for icons in an `icons` folder beside the node's .js file.
  fs.cpSync(path.join(root, 'icons'), path.join(to, 'icons'), { recursive: true });
}
fs.chmodSync(path.join(root, 'dist', 'bin', 'deepmad.js'), 0o755);
