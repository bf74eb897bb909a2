import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/errors.js';
import { loadOperatorSettings } from '../../../operator/settings.js';

const refusal = (env: Record<string, string>) => {
  try {
    loadOperatorSettings(env);
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('operator settings: the federation map', () => {
  it('is off unless MAP_PORT is set, and reads gateways every 5 s with a 2 s timeout by default', () => {
    const settings = loadOperatorSettings({});
    expect(settings.MAP_PORT).toBeUndefined();
    expect(settings).toMatchObject({ MAP_SCRAPE_INTERVAL: 5000, MAP_SCRAPE_TIMEOUT: 2000, MAP_MAX_SERVERS: 200, MAP_MAX_CLIENTS: 32 });
    expect(loadOperatorSettings({ MAP_PORT: '8090' }).MAP_PORT).toBe(8090);
    expect(loadOperatorSettings({ MAP_PORT: '0' }).MAP_PORT).toBe(0);
  });

  it('takes half a short interval as the timeout, and refuses a timeout as long as the interval', () => {
    expect(loadOperatorSettings({ MAP_SCRAPE_INTERVAL: '1s' }).MAP_SCRAPE_TIMEOUT).toBe(500);
    const error = refusal({ MAP_SCRAPE_INTERVAL: '2s', MAP_SCRAPE_TIMEOUT: '3s' });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('MAP_SCRAPE_TIMEOUT');
  });

  it('names a bad map setting', () => {
    expect(refusal({ MAP_PORT: '70000' }).message).toContain('MAP_PORT');
    expect(refusal({ MAP_SCRAPE_INTERVAL: 'often' }).message).toContain('MAP_SCRAPE_INTERVAL');
    expect(refusal({ MAP_MAX_SERVERS: '0' }).message).toContain('MAP_MAX_SERVERS');
    expect(refusal({ MAP_PORT: '8081' }).message).toMatch(/MAP_PORT.*must differ from HEALTH_PORT/);
  });
});
