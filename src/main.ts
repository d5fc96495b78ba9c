import './cli/heap-settings.js';
import { ConfigError, readCommandLine } from './config/load-config.js';
import { startLifeguard } from './cli/start-lifeguard.js';
import { createLogger } from './util/logger.js';
import { stderrSink } from './util/stderr-sink.js';

/** The log lines still queued get this long to reach stderr before the process exits. */
const LOG_FLUSH_MS = 1000;

// Exits once the queued log lines are written (bounded: a stalled stderr never holds the exit). The
// lock file goes in the 'exit' handler start-lifeguard set.
const exit = (code: number) => void stderrSink().drained(LOG_FLUSH_MS).then(() => process.exit(code));

// The lifeguard command: configuration → supervisor → HTTP server; SIGTERM/SIGINT shut it down
// gracefully and exit 0 (a second one ends open requests with shutting_down at once, exit 1);
// SIGHUP is logged and ignored.
async function main(): Promise<void> {
  let config;
  try {
    const request = readCommandLine(process.argv.slice(2));
    if (request.kind !== 'run') {
      process.stdout.write(request.text);
      return;
    }
    config = request.config;
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`lifeguard: invalid configuration: ${problem}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logFormat);
  // SIGHUP (a closed terminal, or an operator expecting a reload) would end Node at once, cutting
  // every stream and leaving the lock file: lifeguard has no reload, so it says so and keeps serving.
  process.on('SIGHUP', () => logger.log('WARN', 'SIGHUP received: ignored (lifeguard has no configuration reload; restart it to change settings, SIGTERM to stop it)'));
  let running;
  try {
    running = await startLifeguard(config, logger);
  } catch (error) {
    process.stderr.write(`lifeguard: cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 2) {
      // Still an orderly end: every open stream is told `shutting_down` before the workers stop.
      logger.log('WARN', `${signal} again: ending every request now (shutting_down) and stopping workers without waiting`);
      void running.shutdownNow().finally(() => exit(1));
      return;
    }
    if (signals > 2) {
      logger.log('WARN', `${signal} a third time: exiting at once`);
      exit(1);
      return;
    }
    logger.log('INFO', `${signal} received: draining and stopping`);
    running.shutdown().then(
      // Hurried by a second signal: not the clean end a single one gives.
      () => exit(signals > 1 ? 1 : 0),
      (error: unknown) => {
        logger.log('ERROR', `shutdown failed: ${String(error)}`);
        exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

void main();
