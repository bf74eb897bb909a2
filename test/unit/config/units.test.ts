import { describe, expect, it } from 'vitest';
import { parseBytes, parseDuration } from '../../../src/config/units.js';

describe('parseBytes', () => {
  it.each([
    ['1048576', 1_048_576],
    ['1MB', 1_000_000],
    ['1Mi', 1_048_576],
    ['1MiB', 1_048_576],
    ['512KiB', 524_288],
    ['1.5k', 1500],
    [' 2 GB ', 2e9],
    [4096, 4096],
  ])('%s -> %d', (text, bytes) => expect(parseBytes(text)).toBe(bytes));

  it.each(['', 'MB', '1 parsec', '-1', '1e6', '1.5.2MB'])('rejects %j', (text) => expect(parseBytes(text)).toBeUndefined());
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['250', 250],
    [1000, 1000],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '30x', 's30', '1m 30s', '-5s'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());
});
