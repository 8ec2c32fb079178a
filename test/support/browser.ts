/// <reference lib="dom" />
/**
 * The real Node-RED editor in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; never a downloaded browser). Selectors are Node-RED 4.1's DOM, checked against
 * 4.1.15 (see ../shared/notes/node-red-conventions.md §3.3).
 *
 *   const ed = await openEditor(rt.baseUrl);
 *   await ed.importExample(packageName, 'pcap in - read a capture file');
 *   await ed.deploy();
 *   await ed.page.screenshot({ path: 'x.png' });
 *   await ed.close();
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Flags from the research notes: headless, no sandbox (CI runs as root), and no background
// network chatter (component updates, sync, QUIC) — tests only talk to 127.0.0.1.
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** undefined when the browser test can run, else why not. */
export function browserSkipReason(): string | undefined {
  if (!fs.existsSync(CHROMIUM_PATH)) return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed (npm install)';
  }
  return undefined;
}

export interface Editor {
  browser: Browser;
  page: Page;
  /** Page errors and console errors seen so far. */
  errors: string[];
  /** data-palette-type of every palette entry in `category`. */
  paletteTypes(category?: string): Promise<string[]>;
  /**
   * Import › Examples › <module> › <name>, then confirm; resolves once the flow is in the workspace
   * (added as a new tab), not merely when the dialog closed.
   */
  importExample(module: string, name: string): Promise<void>;
  /**
   * Opens the edit tray of the first node of `type` in the workspace and resolves once `selector`
   * (an element of its edit template) is in the open tray; asks again if the tray did not open.
   */
  editNode(type: string, selector: string): Promise<void>;
  /** Presses Deploy and waits for the "Successfully deployed" notification. */
  deploy(): Promise<void>;
  /** Switches to the workspace tab labelled `label`. */
  showTab(label: string): Promise<void>;
  close(): Promise<void>;
}

/** Runs in the page: how many tabs, nodes and config nodes the workspace holds, and the notifications shown. */
function workspaceSnapshot(): { items: number; notifications: string[] } {
  const RED = (window as any).RED;
  let items = RED.nodes.getWorkspaceOrder().length;
  RED.nodes.eachNode(() => { items++; });
  RED.nodes.eachConfig(() => { items++; });
  const notifications = Array.from(document.querySelectorAll('.red-ui-notification')).map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim());
  return { items, notifications };
}

export async function openEditor(baseUrl: string, viewport = { width: 1400, height: 800 }): Promise<Editor> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.red-ui-palette-node', { timeout: 30000 });
  await page.waitForSelector('#red-ui-header-button-deploy');

  const ed: Editor = {
    browser,
    page,
    errors,
    async paletteTypes(category = 'DeepMAD') {
      return page.evaluate((cat) => {
        const out: string[] = [];
        for (const el of Array.from(document.querySelectorAll('.red-ui-palette-category'))) {
          const header = el.querySelector('.red-ui-palette-header');
          if (!header || header.textContent?.trim().toLowerCase() !== cat.toLowerCase()) continue;
          for (const n of Array.from(el.querySelectorAll('.red-ui-palette-node'))) out.push(n.getAttribute('data-palette-type') ?? '');
        }
        return out;
      }, category);
    },
    async importExample(module, name) {
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
      const pane = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      await pane.locator('.red-ui-treeList-label-text', { hasText: module }).first().click();
      await pane.locator('.red-ui-treeList-label-text', { hasText: name }).first().click();
      const before = (await page.evaluate(workspaceSnapshot)).items;
      await page.click('#red-ui-clipboard-dialog-ok');
      // Import closes the dialog at once but adds the nodes only when its GET of the example returns
      // (seconds later on a loaded box): wait for the nodes themselves. The import is one synchronous
      // call, so a grown count means the whole flow is there. A flow already in the workspace (same
      // ids) gives a conflict notification instead, which is reported rather than waited out.
      const deadline = Date.now() + 30000;
      for (;;) {
        const now = await page.evaluate(workspaceSnapshot);
        if (now.items > before) break;
        const conflict = now.notifications.find((t) => /already exist in your workspace/i.test(t));
        if (conflict) throw new Error(`example "${name}" was not imported: the editor says "${conflict}"`);
        if (Date.now() > deadline) throw new Error(`example "${name}" was not imported within 30 s; notifications: ${JSON.stringify(now.notifications)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await page.waitForSelector('#red-ui-clipboard-dialog', { state: 'hidden' }).catch(() => undefined);
    },
    async editNode(type, selector) {
      await page.waitForFunction((t) => (window as any).RED.nodes.filterNodes({ type: t }).length > 0, type, { timeout: 30000 }).catch((err: Error) => {
        throw new Error(`no ${type} node in the workspace to edit: ${err.message.split('\n')[0]}`);
      });
      for (let attempt = 1; ; attempt++) {
        // RED.editor.edit swallows its own errors (console.warn) and ignores calls while another edit
        // dialog is being built, so a lost call shows only as a tray that never opens: check for it.
        await page.evaluate((t) => {
          const RED = (window as any).RED;
          RED.editor.edit(RED.nodes.filterNodes({ type: t })[0]);
        }, type);
        try {
          await page.waitForSelector(`.red-ui-tray ${selector}`, { state: 'attached', timeout: 10000 });
          return;
        } catch (err) {
          if (attempt >= 3) {
            const state = await page.evaluate(() => ({
              trays: document.querySelectorAll('.red-ui-tray').length,
              viewState: (window as any).RED.view.state(),
              notifications: Array.from(document.querySelectorAll('.red-ui-notification')).map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()),
            }));
            throw new Error(`the edit tray of ${type} did not show ${selector} after ${attempt} tries: ${(err as Error).message.split('\n')[0]}; editor: ${JSON.stringify(state)}`);
          }
        }
      }
    },
    async deploy() {
      // A click that lands while the import dialog is still fading out is lost: retry while the
      // Deploy button is still enabled (it is disabled once nothing is left to deploy).
      let lastErr: unknown;
      for (let attempt = 0; attempt < 3; attempt++) {
        await page.click('#red-ui-header-button-deploy');
        try {
          await page.waitForSelector('.red-ui-notification:has-text("deployed")', { timeout: 15000 });
          lastErr = undefined;
          break;
        } catch (err) {
          lastErr = err;
          const stillEnabled = await page.evaluate(() => !document.querySelector('#red-ui-header-button-deploy')?.classList.contains('disabled'));
          // Disabled = nothing left to deploy: the deploy happened, its notification was just missed.
          if (!stillEnabled) { lastErr = undefined; break; }
        }
      }
      if (lastErr) {
        // Say what the editor shows instead (a confirm dialog, an error notification…).
        const shown = await page.evaluate(() => Array.from(document.querySelectorAll('.red-ui-notification, .ui-dialog:not([style*="display: none"])')).map((e) => (e.textContent ?? '').replace(/\s+/g, ' ').trim()).filter(Boolean));
        const shot = `/tmp/deepmad-deploy-failure-${process.pid}-${Date.now()}.png`;
        await page.screenshot({ path: shot }).catch(() => undefined);
        throw new Error(`deploy did not complete: ${(lastErr as Error).message.split('\n')[0]}; editor shows: ${JSON.stringify(shown)}; screenshot ${shot}`);
      }
      // Let the notification go so the next deploy waits for its own.
      await page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n) => n.remove()));
    },
    async showTab(label) {
      await page.locator('#red-ui-workspace-tabs .red-ui-tab', { hasText: label }).first().click();
    },
    async close() {
      await browser.close();
    },
  };
  return ed;
}
