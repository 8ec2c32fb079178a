/**
 * Browser check of the main job: `deepmad start`, the editor in a real Chromium (playwright-core),
 * replay pressed on the default flow's inject node, EVE alerts naming the attacker in the debug
 * sidebar. DEEPMAD_SCREENSHOT=<file.png> saves the screenshot used in the README.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './sinks.js';

const root = path.join(__dirname, '..', '..');
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const hasModel = fs.existsSync(path.join(root, 'models', 'deepmad-default.onnx'));
const skip = !chromium ? 'chromium not installed' : !hasModel ? 'default model not present' : false;

describe('main job in the editor', { skip }, () => {
  let child: ChildProcess;
  let out = '';
  let userDir: string;
  let port: number;
  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deepmad-browser-'));
    port = await freePort();
    const mqttPort = await freePort();
    child = spawn(process.execPath, [path.join(root, 'dist', 'bin', 'deepmad.js'), 'start', '--user-dir', userDir, '--port', String(port), '--mqtt-port', String(mqttPort), '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    for (let i = 0; i < 300 && !/DeepMAD is running/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /DeepMAD is running/);
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('shows alerts for the attacker in the debug sidebar after replay', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { chromium: pw } = require('playwright-core');
    const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1700, height: 800 } });
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('#dm-inj-replay .red-ui-flow-node-button-button', { timeout: 30000 });
      await page.evaluate(() => (globalThis as any).RED.sidebar.show('debug'));
      // The flow replays once by itself 6 s after deploy; let that finish so the button press is a clean second run.
      const status = () => document.querySelector('#dm-alert .red-ui-flow-node-status-label')?.textContent ?? '';
      // The capture's 200 flows are identical in every model feature: all of them alert, as two records.
      await page.waitForFunction(`(${status.toString()})().includes('2 alerts (200 flows)')`, undefined, { timeout: 30000 });
      await page.waitForTimeout(1500); // let the first run's digest and MQTT messages reach the sidebar before the second run
      await page.click('#dm-inj-replay .red-ui-flow-node-button-button');
      await page.waitForFunction(() => [...document.querySelectorAll('.red-ui-debug-msg')].some((e) => /arrived over MQTT/.test(e.textContent ?? '')), undefined, { timeout: 30000 });
      await page.waitForFunction(() => [...document.querySelectorAll('.red-ui-debug-msg')].some((e) => /digest/.test(e.textContent ?? '')), undefined, { timeout: 30000 });
      const texts: string[] = await page.$$eval('.red-ui-debug-msg', (els: Element[]) => els.map((e) => e.textContent ?? ''));
      const eve = texts.filter((t) => /node: EVE alerts/.test(t));
      assert.ok(eve.length >= 2, texts.join('\n'));
      assert.ok(eve.every((t) => /src_ip: "192\.0\.2\.10"/.test(t)), eve.join('\n'));
      assert.ok(texts.some((t) => /\[DeepMAD\] 200 malicious flows/.test(t)), texts.join('\n'));
      await page.waitForFunction(`(${status.toString()})().includes('4 alerts (400 flows)')`, undefined, { timeout: 30000 });
      if (process.env.DEEPMAD_SCREENSHOT) await page.screenshot({ path: process.env.DEEPMAD_SCREENSHOT });
    } finally {
      await browser.close();
    }
  });
});
