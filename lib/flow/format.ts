/**
 * Number, address and time printing shared by the profiles (spec §1): Java's Double.toString
 * and long printing, IPv4/IPv6 text, UTC timestamps in the three Java layouts.
 */

/** Java `Double.toString`: `2733.0`, `1.0000171E7`, `1.0E-4`, `Infinity`, `NaN`. */
export function javaDouble(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  if (ax >= 1e-3 && ax < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  // exponent form: shortest round-trip mantissa, at least one fractional digit
  const [mant, exp] = x.toExponential().split('e');
  const m = mant.includes('.') ? mant : `${mant}.0`;
  return `${m}E${exp.startsWith('+') ? exp.slice(1) : exp}`;
}

/** Java long from a double (truncation toward zero; non-finite → 0 like a guarded cast). */
export function javaLong(x: number): string {
  if (!Number.isFinite(x)) return x !== x ? '0' : x > 0 ? '9223372036854775807' : '-9223372036854775808';
  return String(Math.trunc(x) === 0 ? 0 : Math.trunc(x));
}

/** Dotted IPv4 from word 0, or compressed IPv6 (RFC 5952) from 4 words. */
export function formatIp(words: ArrayLike<number>, off: number, version: number): string {
  const w0 = words[off] >>> 0;
  if (version !== 6) return `${w0 >>> 24}.${(w0 >>> 16) & 255}.${(w0 >>> 8) & 255}.${w0 & 255}`;
  const g: number[] = [];
  for (let j = 0; j < 4; j++) { const w = words[off + j] >>> 0; g.push(w >>> 16, w & 0xffff); }
  // longest run of ≥ 2 zero groups becomes '::'
  let bestAt = -1, bestLen = 0;
  for (let j = 0; j < 8;) {
    if (g[j] !== 0) { j++; continue; }
    let k = j;
    while (k < 8 && g[k] === 0) k++;
    if (k - j > bestLen && k - j >= 2) { bestAt = j; bestLen = k - j; }
    j = k;
  }
  const hex = (a: number[]) => a.map((v) => v.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** J-engelen: `yyyy-MM-dd HH:mm:ss.ffffff`, UTC, trailing zeros of the fraction dropped. */
export function timestampIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const d = new Date(ms);
  const frac = Math.floor(us - Math.floor(us / 1e6) * 1e6);
  let f = String(frac).padStart(6, '0').replace(/0+$/, '');
  if (f === '') f = '0';
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${f}`;
}

/** J-master `dd/MM/yyyy hh:mm:ss a` (ampm = true) or J-2018 `dd/MM/yyyy hh:mm:ss` (no AM/PM), UTC. */
export function timestampJava12h(us: number, ampm: boolean): string {
  const d = new Date(Math.floor(us / 1000));
  const h24 = d.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  const s = `${pad2(d.getUTCDate())}/${pad2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ` +
    `${pad2(h12)}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  return ampm ? `${s} ${h24 < 12 ? 'AM' : 'PM'}` : s;
}
