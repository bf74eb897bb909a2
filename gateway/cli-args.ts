// The gateway's command-line flags, read the way the Go reference server's `flag` package reads
// them: -config FILE / --config FILE / -config=FILE, -version, -help. Anything else is refused by
// name (exit 2), never ignored.

export type GatewayArgs =
  { kind: 'run'; configFile?: string | undefined } | { kind: 'version' } | { kind: 'help' } | { kind: 'error'; message: string };

export const USAGE = `usage: node dist/gateway/main.js [-config FILE] [-version]
  -config FILE   YAML or JSON configuration file (this gateway's schema, or the Go reference server's JSON); same as CONFIG_FILE
  -version       print the version and exit
Everything else is configured with environment variables (see README.md, Configuration).`;

const BOOLEAN_TRUE = /^(1|t|true)$/i;
const BOOLEAN_FALSE = /^(0|f|false)$/i;

export function parseGatewayArgs(argv: readonly string[]): GatewayArgs {
  let configFile: string | undefined;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = /^--?([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!flag) return { kind: 'error', message: `unexpected argument ${JSON.stringify(arg)} (flags: -config FILE, -version)` };
    const [, name, inline] = flag;
    switch (name) {
      case 'config': {
        const value = inline ?? argv[++i];
        if (value === undefined || value === '') return { kind: 'error', message: 'flag -config needs a file path' };
        configFile = value;
        break;
      }
      case 'version':
        if (inline !== undefined && !BOOLEAN_TRUE.test(inline) && !BOOLEAN_FALSE.test(inline)) {
          return { kind: 'error', message: `flag -version: expected true or false, got ${JSON.stringify(inline)}` };
        }
        version = inline === undefined || BOOLEAN_TRUE.test(inline);
        break;
      case 'h':
      case 'help':
        return { kind: 'help' };
      default:
        return { kind: 'error', message: `unknown flag ${arg.split('=')[0]} (flags: -config FILE, -version)` };
    }
  }
  return version ? { kind: 'version' } : { kind: 'run', configFile };
}
