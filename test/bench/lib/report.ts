// The result table: one row per measured number, with its baseline and target where it has
// them, printed for people and written as JSON (results/latest.json) for tools.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Verdict = 'PASS' | 'FAIL' | 'info';

export interface Row {
  scenario: string;
  metric: string;
  value: number | string;
  unit?: string;
  baseline?: number | string;
  /** Ratio to the baseline or the target, as text ("0.71x >= 0.6x", "< 10 ms"). */
  target?: string;
  verdict: Verdict;
  note?: string;
}

export function fmt(value: number | string | undefined, unit = ''): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${text} ${unit}` : text;
}

export function renderTable(rows: readonly Row[]): string {
  const header = ['scenario', 'metric', 'value', 'baseline', 'ratio / target', 'result'];
  const cells = rows.map((r) => [r.scenario, r.metric, fmt(r.value, r.unit), fmt(r.baseline, r.unit), r.target ?? '', r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((text, i) => text.padEnd(widths[i]!)).join(' | ');
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  const notes = rows.filter((r) => r.note).map((r) => `  * ${r.scenario} / ${r.metric}: ${r.note}`);
  return [line(header), rule, ...cells.map(line), ...(notes.length ? ['', 'notes:', ...notes] : [])].join('\n');
}

export function writeJson(path: string, document: object): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
}
