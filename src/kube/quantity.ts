// Kubernetes resource quantities in the canonical form the API server writes back ("1000m" is
// stored as "1", "0.5Gi" as "512Mi"). Rendering desired objects in that form keeps the
// server-side-apply no-op check (apply.ts) true for an unchanged object; otherwise every
// reconcile would resend it. Follows apimachinery's resource.Quantity: the value is kept exactly
// (rounded up to nano units, as ParseQuantity does), the format (binary suffix, decimal suffix,
// exponent) is kept from the input, and the mantissa is the smallest integer that still fits a
// suffix.
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { '': 0, Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([suffix, exponent]) => [exponent, suffix]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([suffix, exponent]) => [exponent, suffix]));

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** A value as sign * digits * 10^scale (exact), and the format it was written in. */
interface Parsed {
  negative: boolean;
  digits: bigint;
  scale: number;
  format: Format;
}

export class QuantityError extends Error {
  constructor(value: unknown) {
    super(`${JSON.stringify(value)} is not a Kubernetes quantity (e.g. 250m, 1.5, 512Mi, 1G)`);
    this.name = 'QuantityError';
  }
}

function parse(value: string | number, finestScale = -9): Parsed {
  const text = typeof value === 'number' ? numberText(value) : value.trim();
  const match = QUANTITY.exec(text);
  if (!match) throw new QuantityError(value);
  const [, sign, number, suffix = ''] = match as unknown as [string, string, string, string | undefined];
  const [whole = '', fraction = ''] = number.split('.');
  let digits = BigInt(`${whole}${fraction}` || '0');
  let scale = -fraction.length;
  let format: Format;
  if (suffix in BINARY_SUFFIXES && suffix !== '') {
    format = 'BinarySI';
    digits *= 2n ** BigInt(BINARY_SUFFIXES[suffix]!);
  } else if (/^[eE]/.test(suffix)) {
    format = 'DecimalExponent';
    scale += Number(suffix.slice(1));
  } else {
    format = 'DecimalSI';
    scale += DECIMAL_SUFFIXES[suffix]!;
  }
  // Finer than nano (milli in a ResourceList): rounded up, away from zero, as the API server does.
  if (scale < finestScale) {
    const divisor = 10n ** BigInt(finestScale - scale);
    digits = digits / divisor + (digits % divisor === 0n ? 0n : 1n);
    scale = finestScale;
  }
  return { negative: sign === '-' && digits !== 0n, digits, scale, format };
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new QuantityError(value);
  return String(value).replace('e+', 'e');
}

/** The canonical string the API server returns for `value`. */
export function canonicalQuantity(value: string | number): string {
  return formatCanonical(parse(value));
}

/**
 * The canonical string of a quantity in a core/v1 ResourceList (container requests and limits):
 * the API server also rounds those up to milli units (SetDefaults_ResourceList).
 */
export function canonicalResourceQuantity(value: string | number): string {
  return formatCanonical(parse(value, -3));
}

function formatCanonical({ negative, digits, scale, format }: Parsed): string {
  if (digits === 0n) return '0';
  const sign = negative ? '-' : '';
  if (format === 'BinarySI') {
    const whole = scale >= 0 ? digits * 10n ** BigInt(scale) : undefined;
    const exact = whole !== undefined || digits % 10n ** BigInt(-scale) === 0n;
    const bytes = whole ?? digits / 10n ** BigInt(-scale);
    // Below 1024, or not a whole number, the API server writes it in decimal form instead.
    if (exact && bytes >= 1024n) {
      let mantissa = bytes;
      let exponent = 0;
      while (exponent < 60 && mantissa % 1024n === 0n) {
        mantissa /= 1024n;
        exponent += 10;
      }
      return `${sign}${mantissa}${BINARY_BY_EXPONENT.get(exponent)}`;
    }
    return decimal(sign, digits, scale, 'DecimalSI');
  }
  return decimal(sign, digits, scale, format);
}

function decimal(sign: string, digits: bigint, scale: number, format: Format): string {
  let mantissa = digits;
  let exponent = scale;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  // Down to a multiple of three, so the mantissa stays whole.
  const over = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(over);
  exponent -= over;
  if (format === 'DecimalExponent') return exponent === 0 ? `${sign}${mantissa}` : `${sign}${mantissa}e${exponent}`;
  const suffix = DECIMAL_BY_EXPONENT.get(exponent);
  if (suffix !== undefined) return `${sign}${mantissa}${suffix}`;
  // Past exa: spell the zeros out rather than invent a suffix.
  return `${sign}${mantissa * 10n ** BigInt(exponent - 18)}E`;
}

/** The numeric value of a quantity ("512Mi" -> 536870912, "250m" -> 0.25), for sizing decisions. */
export function quantityValue(value: string | number): number {
  const { negative, digits, scale } = parse(value);
  return (negative ? -1 : 1) * Number(digits) * 10 ** scale;
}
