import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { configKeys, describeDefault, envOf, flagOf, type KeySpec } from './config-keys.js';

/** The flags as given (text, or true for a boolean flag), by config key; and the worker command. */
export interface CommandLine {
  flags: Record<string, string | boolean>;
  configPath: string | undefined;
  workerCommand: string[];
}

export type CommandLineResult = { kind: 'run'; commandLine: CommandLine } | { kind: 'help' | 'version'; text: string } | { kind: 'error'; message: string };

// The package's version, from the package.json above this file (src/ and dist/src/ alike).
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++, dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lifeguard' && pkg.version) return pkg.version;
    }
  }
  return 'unknown';
}

function optionFor(spec: KeySpec): Option {
  const value = spec.type === 'bool' ? '' : spec.type === 'choice' ? ' <name>' : spec.type === 'string' ? ' <text>' : spec.type === 'keys' ? ' <name=key,…>' : ' <n>';
  const choices = spec.type === 'choice' ? ` (${spec.choices!.join(' | ')})` : '';
  const option = new Option(`${flagOf(spec.key)}${value}`, `${spec.description}${choices}`).env(envOf(spec.key));
  return spec.default === null ? option : option.default(spec.default, spec.driverDefaults ? describeDefault(spec) : undefined);
}

// The lifeguard command: one option per config key (its default and variable in --help), --config,
// -h/--help, -v/--version, and the worker command after `--`.
export function lifeguardCommand(): Command {
  const command = new Command('lifeguard')
    .usage('[options] [-- WORKER COMMAND…]')
    .description(
      'Keeps long-lived AI worker processes alive behind an OpenAI-compatible HTTP API.\n' +
        'Precedence: flag > environment variable > config file > default. Without a worker command\n' +
        'lifeguard runs its bundled reference worker.',
    )
    .version(packageVersion(), '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .addOption(new Option('--config <path>', 'a YAML or JSON file of settings (keys with underscores, see lifeguard.example.yaml)').env('LIFEGUARD_CONFIG'))
    .exitOverride()
    .allowExcessArguments(false)
    .configureHelp({ helpWidth: 110 })
    .addHelpText(
      'after',
      '\nExamples:\n  lifeguard --port 9000 --workers 2 -- python3 my_worker.py\n  lifeguard --driver openai-http -- llama-server -m model.gguf --port {port}\n' +
        '\nDocumentation (in the package): README.md; every setting in docs/configuration.md, the worker protocol in\n' +
        'docs/protocol.md, the HTTP API in docs/http-api.md, operations in docs/operations.md.\n',
    );
  for (const spec of configKeys) command.addOption(optionFor(spec));
  return command;
}

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

// argv (without node and the script) → the flags given on the command line, or help/version text,
// or a one-line error. Only values typed on the command line count here: the environment, the file
// and the defaults are layered by loadConfig.
export function parseCommandLine(argv: readonly string[]): CommandLineResult {
  const dashDash = argv.indexOf('--');
  const own = dashDash === -1 ? [...argv] : argv.slice(0, dashDash);
  const workerCommand = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  let output = '';
  const command = lifeguardCommand().configureOutput({ writeOut: (text) => (output += text), writeErr: () => undefined });
  try {
    command.parse(own, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') return { kind: 'help', text: output };
    if (error.code === 'commander.version') return { kind: 'version', text: output };
    if (error.code === 'commander.excessArguments') {
      return { kind: 'error', message: `arguments: unexpected "${command.args[0] ?? own.find((a) => !a.startsWith('-'))}"; put the worker command after --` };
    }
    const flag = /'(--?[^' =]+)/.exec(error.message)?.[1];
    if (error.code === 'commander.unknownOption') return { kind: 'error', message: `arguments: unknown flag ${flag} (lifeguard --help lists them)` };
    if (error.code === 'commander.optionMissingArgument') return { kind: 'error', message: `arguments: ${flag} needs a value (lifeguard --help)` };
    return { kind: 'error', message: `arguments: ${error.message.replace(/^error: /, '')} (lifeguard --help)` };
  }
  const flags: Record<string, string | boolean> = {};
  for (const spec of configKeys) {
    const name = camel(spec.key);
    if (command.getOptionValueSource(name) === 'cli') flags[spec.key] = command.getOptionValue(name) as string | boolean;
  }
  const configPath = command.getOptionValueSource('config') === 'cli' ? (command.getOptionValue('config') as string) : undefined;
  return { kind: 'run', commandLine: { flags, configPath, workerCommand } };
}
