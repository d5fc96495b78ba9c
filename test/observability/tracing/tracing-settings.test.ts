import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load-config.js';
import { traceHeaders } from '../../../src/observability/tracing/trace-headers.js';
import { tracingSettings } from '../../../src/observability/tracing/tracing-settings.js';

describe('when tracing is on', () => {
  const cases: Array<[string, string | null, NodeJS.ProcessEnv, ReturnType<typeof tracingSettings>]> = [
    ['nothing set: off', null, {}, null],
    ['empty variables: off', null, { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, null],
    ['the config key: its /v1/traces', 'http://collector:4318/', {}, { url: 'http://collector:4318/v1/traces', source: 'otel_endpoint' }],
    ['the config key wins over the variables', 'http://a:4318', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' }, { url: 'http://a:4318/v1/traces', source: 'otel_endpoint' }],
    ['OTEL_EXPORTER_OTLP_ENDPOINT: the exporter reads it', null, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' }, { url: null, source: 'OTEL_EXPORTER_OTLP_ENDPOINT' }],
    ['the traces endpoint alone', null, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/v1/traces' }, { url: null, source: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' }],
    ['OTEL_SDK_DISABLED=true: off', 'http://a:4318', { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' }, null],
    ['OTEL_SDK_DISABLED=false: on', null, { OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://b:4318' }, { url: null, source: 'OTEL_EXPORTER_OTLP_ENDPOINT' }],
    ['OTEL_TRACES_EXPORTER=none: off', 'http://a:4318', { OTEL_TRACES_EXPORTER: 'none' }, null],
  ];
  it.each(cases)('%s', (_, endpoint, env, expected) => {
    expect(tracingSettings(endpoint, env)).toEqual(expected);
  });

  it('otel_endpoint must be an http(s) URL; the error names the key and the value', () => {
    expect(loadConfig(['--otel-endpoint', 'http://127.0.0.1:4318'], {}).otelEndpoint).toBe('http://127.0.0.1:4318');
    expect(loadConfig([], {}).otelEndpoint).toBeNull();
    expect(loadConfig([], { LIFEGUARD_OTEL_ENDPOINT: 'https://otel.example' }).otelEndpoint).toBe('https://otel.example');
    expect(() => loadConfig(['--otel-endpoint', 'collector:4318'], {})).toThrow(ConfigError);
    expect(() => loadConfig(['--otel-endpoint', 'collector:4318'], {})).toThrow('otel_endpoint: "collector:4318" is not an http(s) URL');
  });

  it('without the SDK, an upstream call carries no trace headers', () => {
    expect(traceHeaders()).toEqual({});
  });
});
