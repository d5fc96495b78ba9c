// A cheaper cold start for the Claude Code CLI (issue 28 item 5): the environment and flags that skip
// start-up work a headless worker has no use for. Measured by bench/claude-cold-start.ts (CPU-s of the
// CLI's process tree until it is initialized and quiet, 2.1.112):
// - the environment: no auto-updater, telemetry, error reporting or other non-essential traffic, no
//   installation checks, no auto-install of the official plugin marketplace;
// - `--strict-mcp-config`: only MCP servers named by `--mcp-config` are started, not those of the
//   user's or the project's configuration;
// - `--setting-sources ""`: no user, project or local settings files are read (or watched).
// The operator's choice wins: a variable already set in lifeguard's environment is left as it is, and
// a flag the worker command already names is not added (`-- claude --setting-sources user` keeps
// the user's settings; `--mcp-config FILE` alongside `--strict-mcp-config` still starts FILE's servers).

/** Variables that turn off start-up work no answer depends on. */
export const QUIET_START_ENV: Readonly<Record<string, string>> = {
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_INSTALLATION_CHECKS: '1',
  CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
};

/** Flags (with their value, if any) that skip discovery of MCP servers and settings files. */
export const QUIET_START_FLAGS: ReadonlyArray<readonly [flag: string, ...value: string[]]> = [['--strict-mcp-config'], ['--setting-sources', '']];

const names = (args: readonly string[], flag: string) => args.some((arg) => arg === flag || arg.startsWith(`${flag}=`));

/** The flags to add to a CLI command line `args` (its pass-through arguments): those it does not name. */
export function quietStartArgs(args: readonly string[]): string[] {
  return QUIET_START_FLAGS.filter(([flag]) => !names(args, flag)).flat();
}

/** The variables to add to the worker's environment: those `parent` (lifeguard's) does not set. */
export function quietStartEnv(parent: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(QUIET_START_ENV).filter(([name]) => parent[name] === undefined));
}
