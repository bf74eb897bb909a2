import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { tracingSettings } from '../../../src/observability/tracing/settings.js';

const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' };

function refusal(env: NodeJS.ProcessEnv): ConfigError {
  try {
    tracingSettings(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('tracing settings from OTEL_* variables', () => {
  it('are off without an OTLP endpoint, or with OTEL_SDK_DISABLED=true', () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' })).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' })).toBeUndefined();
    expect(tracingSettings({ ...on, OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
  });

  it('are on with either endpoint; the traces endpoint is the one named', () => {
    expect(tracingSettings(on)).toEqual({ endpoint: 'http://jaeger:4318' });
    expect(tracingSettings({ ...on, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c:4318/v1/traces' })).toEqual({
      endpoint: 'https://c:4318/v1/traces',
    });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toEqual({ endpoint: 'http://c:4318/v1/traces' });
  });

  it('name the variable that is wrong', () => {
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger:4318' }).setting).toBe('OTEL_EXPORTER_OTLP_ENDPOINT');
    expect(refusal({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' }).setting).toBe('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    expect(refusal({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).message).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: "grpc".*OTLP over HTTP/);
    expect(refusal({ ...on, OTEL_TRACES_SAMPLER: 'sometimes' }).message).toMatch(/OTEL_TRACES_SAMPLER: "sometimes" is not one of always_on/);
    expect(refusal({ ...on, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '5' }).setting).toBe('OTEL_TRACES_SAMPLER_ARG');
    expect(refusal({ ...on, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }).setting).toBe('OTEL_TRACES_SAMPLER_ARG');
    expect(refusal({ ...on, OTEL_RESOURCE_ATTRIBUTES: 'team=a,oops' }).message).toMatch(/OTEL_RESOURCE_ATTRIBUTES: "oops"/);
  });

  it('take what the SDK takes', () => {
    expect(
      tracingSettings({
        ...on,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.01',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=a',
      }),
    ).toEqual({ endpoint: 'http://jaeger:4318' });
  });
});
