// The gateway's flags, read like the Go reference server's (Go's flag package: one or two dashes,
// value after `=` or as the next argument); anything unknown is an error, not ignored.
import { describe, expect, it } from 'vitest';
import { parseGatewayArgs } from '../../../gateway/cli-args.js';

describe('parseGatewayArgs', () => {
  it('reads -config FILE in every form Go accepts', () => {
    for (const argv of [['-config', 'a.json'], ['--config', 'a.json'], ['-config=a.json'], ['--config=a.json']]) {
      expect(parseGatewayArgs(argv), argv.join(' ')).toEqual({ kind: 'run', configFile: 'a.json' });
    }
    expect(parseGatewayArgs([])).toEqual({ kind: 'run', configFile: undefined });
  });

  it('reads -version, also as -version=true, and -version=false runs', () => {
    expect(parseGatewayArgs(['-version'])).toEqual({ kind: 'version' });
    expect(parseGatewayArgs(['--version=true'])).toEqual({ kind: 'version' });
    expect(parseGatewayArgs(['-config', 'x', '-version=false'])).toEqual({ kind: 'run', configFile: 'x' });
    expect(parseGatewayArgs(['-version=later'])).toMatchObject({ kind: 'error', message: expect.stringContaining('-version') });
  });

  it('refuses unknown flags, stray arguments and a -config without a file, by name', () => {
    expect(parseGatewayArgs(['-port', '80'])).toEqual({ kind: 'error', message: 'unknown flag -port (flags: -config FILE, -version)' });
    expect(parseGatewayArgs(['serve'])).toMatchObject({ kind: 'error', message: expect.stringContaining('"serve"') });
    expect(parseGatewayArgs(['-config'])).toEqual({ kind: 'error', message: 'flag -config needs a file path' });
    expect(parseGatewayArgs(['-h'])).toEqual({ kind: 'help' });
  });
});
