import type { LifeguardConfig } from '../config/load-config.js';
import { referenceWorkerPath } from '../reference-worker.js';
import { createClaudeCodeDriver } from './claude-code/claude-code-driver.js';
import type { Driver } from './driver.js';
import { createJsonlDriver } from './jsonl/jsonl-driver.js';
import { createOpenAIHttpDriver } from './openai-http/openai-http-driver.js';

// The driver the configuration names, with its worker command (or its default one).
export function createDriver(config: LifeguardConfig): Driver {
  const cwd = config.workerCwd ? { cwd: config.workerCwd } : {};
  switch (config.driver) {
    case 'claude-code':
      return createClaudeCodeDriver({
        command: config.workerCommand.length ? config.workerCommand : ['claude'],
        model: config.model,
        maxLineBytes: config.maxLineBytes,
        builtinTools: config.claudeBuiltinTools,
        toolCallTimeoutMs: config.toolCallTimeoutMs,
        ...cwd,
      });
    case 'openai-http':
      return createOpenAIHttpDriver({ command: config.workerCommand, ...cwd });
    case 'jsonl': {
      const [command, ...args] = config.workerCommand;
      const spawn = command ? { command, args } : { command: process.execPath, args: [referenceWorkerPath()] };
      return createJsonlDriver({ spawn: { ...spawn, ...cwd }, maxLineBytes: config.maxLineBytes });
    }
  }
}

export function describeWorker(config: LifeguardConfig): string {
  if (config.workerCommand.length) return config.workerCommand.join(' ');
  return config.driver === 'claude-code' ? 'claude' : `${process.execPath} ${referenceWorkerPath()}`;
}
