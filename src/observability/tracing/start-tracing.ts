import type { Supervisor } from '../../supervisor/supervisor.js';
import type { Logger } from '../../util/logger.js';
import type { RequestTracing } from './request-spans.js';
import { tracingSettings } from './tracing-settings.js';

export interface Tracing {
  /** Request spans for the gateway's requests to this supervisor. */
  requests(supervisor: Pick<Supervisor, 'stats' | 'subscribe'>): RequestTracing;
  /** Lifecycle spans from the supervisor's events; returns the unsubscribe. */
  attach(supervisor: Pick<Supervisor, 'subscribe'>): () => void;
  /** Exports the spans still buffered, then stops. Never rejects. */
  shutdown(): Promise<void>;
}

// Tracing when the config or the standard variables ask for it, else null — and then no SDK module
// is ever loaded: the SDK, exporter and context manager come in by a dynamic import only here.
export async function startTracing(otelEndpoint: string | null, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Tracing | null> {
  const settings = tracingSettings(otelEndpoint, env);
  if (!settings) return null;
  const sdk = await import('./otel-sdk.js');
  const { tracer, shutdown } = sdk.registerTracingSdk(settings, logger);
  const target = settings.url ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '')}/v1/traces`;
  logger.log('INFO', `tracing on (${settings.source}): spans exported over OTLP/HTTP (JSON) to ${target}`);
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  if (protocol && protocol !== 'http/json') {
    logger.log('WARN', `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: lifeguard exports http/json (every OTLP/HTTP collector accepts it)`);
  }
  return {
    requests: (supervisor) => sdk.createRequestTracing(tracer, supervisor),
    attach: (supervisor) => sdk.attachLifecycleSpans(supervisor, tracer),
    shutdown: () =>
      shutdown().catch((error: unknown) => logger.log('WARN', `tracing: the last spans could not be exported (${String(error)})`)),
  };
}
