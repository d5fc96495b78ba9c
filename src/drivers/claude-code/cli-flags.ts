// The flags lifeguard spawns the Claude Code CLI with: stream-json both ways, with the
// model's partial messages, and the tools — none built in unless the operator named some.
export const STREAM_JSON_ARGS = ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'];

/** The CLI's default built-in tool set (2.1.112), for refusing client tools it would shadow under --tools default. */
const DEFAULT_BUILTINS = ['Agent', 'Bash', 'Edit', 'Glob', 'Grep', 'NotebookEdit', 'Read', 'Skill', 'TodoWrite', 'ToolSearch', 'WebFetch', 'WebSearch', 'Write', 'ExitPlanMode', 'KillShell', 'BashOutput', 'SlashCommand'];

// The spawn flags for the tools: no built-in tool unless the operator named some, and permission
// prompts sent to lifeguard (it allows exactly the client's tools). A --tools in the worker command wins.
export function toolArgs(passThrough: string[], builtinTools: string | null): string[] {
  const tools = passThrough.includes('--tools') ? [] : ['--tools', builtinTools ?? ''];
  const prompts = passThrough.includes('--permission-prompt-tool') ? [] : ['--permission-prompt-tool', 'stdio'];
  return [...tools, ...prompts];
}

/** The built-in tools the workers' CLI runs: a client tool of the same name is refused. */
export function builtinNames(passThrough: string[], builtinTools: string | null): Set<string> {
  const given = passThrough.includes('--tools') ? (passThrough[passThrough.indexOf('--tools') + 1] ?? '') : (builtinTools ?? '');
  if (given.trim() === 'default') return new Set(DEFAULT_BUILTINS);
  return new Set(given.split(/[,\s]+/).filter(Boolean));
}
