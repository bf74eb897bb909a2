import { describe, expect, it } from 'vitest';
import { QuantityError, canonicalQuantity, canonicalResourceQuantity, quantityValue } from '../../../src/kube/quantity.js';

// Expected values are what kube-apiserver writes back for each input (the integration test
// test/integration/kube/quantity.test.ts checks inputs like these against a real one, in a
// ResourceList, where it also rounds up to milli units).
describe('canonicalQuantity', () => {
  it.each([
    ['1000m', '1'],
    ['100m', '100m'],
    ['0.1', '100m'],
    ['1.5', '1500m'],
    ['1500', '1500'],
    ['2000', '2k'],
    ['1000000', '1M'],
    ['0.0000000001', '1n'],
    ['1e3', '1e3'],
    ['1.5e3', '1500'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['2048Ki', '2Mi'],
    ['1000Ki', '1000Ki'],
    ['0.5Ki', '512'],
    ['1.5Ki', '1536'],
    ['1024', '1024'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['0', '0'],
    ['0Mi', '0'],
  ])('%s -> %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
  });

  it('rounds ResourceList quantities up to milli units, as the API server defaults them', () => {
    expect(canonicalResourceQuantity('0.0000000001')).toBe('1m');
    expect(canonicalResourceQuantity('1.0001')).toBe('1001m');
    expect(canonicalResourceQuantity('1000m')).toBe('1');
    expect(canonicalResourceQuantity('0.5Gi')).toBe('512Mi');
  });

  it('takes numbers as the API server takes unquoted JSON numbers', () => {
    expect(canonicalQuantity(2)).toBe('2');
    expect(canonicalQuantity(0.5)).toBe('500m');
    expect(canonicalQuantity(4000)).toBe('4k');
  });

  it('refuses what is not a quantity, naming it', () => {
    for (const bad of ['lots', '1Kb', '', '1.2.3', 'Mi', Number.NaN]) {
      expect(() => canonicalQuantity(bad)).toThrow(QuantityError);
    }
    expect(() => canonicalQuantity('lots')).toThrow(/"lots" is not a Kubernetes quantity/);
  });
});

describe('quantityValue', () => {
  it('reads a quantity as a number', () => {
    expect(quantityValue('512Mi')).toBe(512 * 2 ** 20);
    expect(quantityValue('250m')).toBe(0.25);
    expect(quantityValue('1.5')).toBe(1.5);
    expect(quantityValue('2G')).toBe(2e9);
    expect(quantityValue(3)).toBe(3);
    expect(() => quantityValue('lots')).toThrow(QuantityError);
  });
});
