#!/usr/bin/env node
/**
 * deepmad — the command line over the DeepMAD engine (lib/). Each sub-command lives in
 * bin/commands/<name>.ts and is loaded only when used, so `deepmad info` never pays for
 * onnxruntime or h5wasm start-up.
 */
export interface Command {
  summary: string;
  usage: string;
  run(args: string[]): Promise<number>;
}

type Loader = () => Promise<Command>;

const commands = {
  // name: async () => (await import('./commands/<name>.js')).command,
  train: async () => (await import('./commands/train.js')).command,
  classify: async () => (await import('./commands/classify.js')).command,
  'fit-scaler': async () => (await import('./commands/fit-scaler.js')).command,
  info: async () => (await import('./commands/info.js')).command,
  detect: async () => (await import('./commands/detect.js')).command,
  start: async () => (await import('./commands/start.js')).command,
  flows: async () => (await import('./commands/flows.js')).command,
  h5: async () => (await import('./commands/h5.js')).command,
} satisfies Record<string, Loader>;

function help(): string {
  const lines = ['usage: deepmad <command> [options]', '', 'commands:'];
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  for (const [name, what] of Object.entries(SUMMARIES)) lines.push(`  ${name.padEnd(width)}  ${what}`);
  lines.push('', "run 'deepmad <command> --help' for a command's options");
  return lines.join('\n');
}

/** One line per command for `deepmad --help`, kept here so help loads no command module. */
const SUMMARIES: Record<keyof typeof commands, string> = {
  start: 'start Node-RED with the default IDS flow (editor on http://127.0.0.1:1880)',
  detect: 'run the IDS on a capture, stdin or a live interface; alerts as EVE JSON, MQTT',
  info: 'what is in a capture (packets, bytes, link types, time span, errors), like capinfos',
  flows: 'meter a capture into CICFlowMeter flow rows (CSV or JSON lines)',
  'fit-scaler': 'fit a normalize scaler (per-column min/max) from flow CSV or HDF5 files',
  classify: 'classify flows (CSV, HDF5) or a capture with a model and its card',
  train: 'train a flow classifier (random forest → ONNX + model card + CV report)',
  h5: "inspect, dump or convert pandas table HDF5 files (the prototype's)",
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    console.log(require('../../package.json').version);
    return 0;
  }
  const load = (commands as Record<string, Loader>)[name];
  if (!load) {
    console.error(`deepmad: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${cmd.summary}\n\nusage: ${cmd.usage}`);
    return 0;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`deepmad: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.DEEPMAD_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = 1;
  },
);
