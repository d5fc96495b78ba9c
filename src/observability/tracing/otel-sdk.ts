// Loaded only when tracing is on (start-tracing.ts imports it dynamically): the SDK, the OTLP/HTTP
// exporter and the context manager cost nothing in a lifeguard that does not trace.
import { context, diag, DiagLogLevel, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../../util/logger.js';
import type { TracingSettings } from './tracing-settings.js';

export { createRequestTracing } from './request-spans.js';
export { attachLifecycleSpans } from './lifecycle-spans.js';

export interface TracingSdk {
  tracer: Tracer;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

// The tracer provider as the standard variables describe it: OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES (resource), OTEL_TRACES_SAMPLER(_ARG) (sampling), OTEL_BSP_* (batching),
// OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) — unless the otel_endpoint key names the URL.
export function registerTracingSdk(settings: TracingSettings, logger: Logger): TracingSdk {
  // The SDK reports a failed export (collector down, refused) through diag: a [WARN] line each time.
  const warn = (message: string, ...args: unknown[]) => logger.log('WARN', `tracing: ${[message, ...args.map(String)].join(' ')}`);
  diag.setLogger({ error: warn, warn, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': 'lifeguard' }))
    .merge(detectResources({ detectors: [envDetector] }));
  const exporter = new OTLPTraceExporter(settings.url ? { url: settings.url } : {});
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    tracer: trace.getTracer('lifeguard'),
    shutdown: () => provider.shutdown(),
  };
}
