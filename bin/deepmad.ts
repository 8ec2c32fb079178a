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

const commands: Record<string, Loader> = {
  // name: async () => (await import('./commands/<name>.js')).command,
  train: async () => (await import('./commands/train.js')).command,
  classify: async () => (await import('./commands/classify.js')).command,
  'fit-scaler': async () => (await import('./commands/fit-scaler.js')).command,
  info: async () => (await import('./commands/info.js')).command,
  detect: async () => (await import('./commands/detect.js')).command,
  start: async () => (await import('./commands/start.js')).command,
  flows: async () => (await import('./commands/flows.js')).command,
  h5: async () => (await import('./commands/h5.js')).command,
};

function help(): string {
  const lines = ['usage: deepmad <command> [options]', '', 'commands:'];
  for (const name of Object.keys(commands)) lines.push(`  ${name}`);
  lines.push('', "run 'deepmad <command> --help' for a command's options");
  return lines.join('\n');
}

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
  const load = commands[name];
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
