/** Where traces go, once tracing is on. `url` null: the exporter reads OTEL_EXPORTER_OTLP_* itself. */
export interface TracingSettings {
  url: string | null;
  /** Why tracing is on, for the start-up log line. */
  source: string;
}

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== '';

// Tracing is off unless the config key or the standard OpenTelemetry variables turn it on
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
// OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off whatever else says.
export function tracingSettings(otelEndpoint: string | null, env: NodeJS.ProcessEnv = process.env): TracingSettings | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  if (env.OTEL_TRACES_EXPORTER?.split(',').some((name) => name.trim() === 'none')) return null;
  if (otelEndpoint !== null) return { url: `${otelEndpoint.replace(/\/+$/, '')}/v1/traces`, source: 'otel_endpoint' };
  if (isSet(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) return { url: null, source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' };
  if (isSet(env.OTEL_EXPORTER_OTLP_ENDPOINT)) return { url: null, source: 'OTEL_EXPORTER_OTLP_ENDPOINT' };
  return null;
}
