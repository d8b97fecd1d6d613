// Kubernetes resource quantities ("500m", "2", "1.5Gi", "1e3") as integers the way the
// scheduler compares them: CPU in millicores, everything else in whole units, both rounded up
// (resource.Quantity's MilliValue and Value). Pure; a quantity the API server accepted always
// parses, and anything else is an error naming it.

const binary: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const decimal: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const pattern = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The quantity's value in its base unit (cores, bytes, items), as a float. */
export function quantityValue(quantity: string | number): number {
  if (typeof quantity === 'number') return quantity;
  const m = pattern.exec(quantity.trim());
  if (!m) throw new Error(`not a resource quantity: ${JSON.stringify(quantity)}`);
  const [, digits = '0', exponent, suffix = ''] = m;
  const value = Number(digits);
  if (exponent) return value * 10 ** Number(exponent.slice(1));
  return value * (binary[suffix] ?? decimal[suffix] ?? 1);
}

/**
 * The amount the scheduler counts: millicores for cpu, whole units for the rest, rounded up so
 * that "100m" of memory is one byte and not zero. A tiny epsilon absorbs float noise
 * ("0.1" * 1000 is 100.00000000000001, which must stay 100).
 */
export function schedulerAmount(resource: string, quantity: string | number): number {
  const value = quantityValue(quantity) * (resource === 'cpu' ? 1000 : 1);
  return Math.ceil(value - 1e-9);
}

/** An amount back as a quantity people read: "1500m" → "1500m", 2 cores → "2". */
export function formatAmount(resource: string, amount: number): string {
  if (resource !== 'cpu') {
    for (const [suffix, factor] of [
      ['Gi', 2 ** 30],
      ['Mi', 2 ** 20],
      ['Ki', 2 ** 10],
    ] as const) {
      if (amount >= factor && amount % factor === 0) return `${amount / factor}${suffix}`;
    }
    return String(amount);
  }
  return amount % 1000 === 0 ? String(amount / 1000) : `${amount}m`;
}
