/**
 * Python pickle, the tiny subset PyTables uses for node attributes.
 *
 * PyTables stores any attribute that is not a plain HDF5 scalar (lists, dicts, tuples, None) as a
 * `pickle.dumps(value, 0)` byte string and unpickles every byte-string attribute that ends in `.`
 * when it reads it back. pandas' `format='table'` layout relies on that for `index_cols`,
 * `values_cols`, `non_index_axes`, `data_columns`, `info` and the `values_block_N_kind/meta`
 * attributes. We read protocols 0–2 for the value types those hold and write protocol 0 exactly as
 * Python does for them, so PyTables/pandas read our attributes back as the same Python objects.
 */

/** A Python value as far as these attributes need it. Tuples are marked so they survive a round trip. */
export type PyValue = null | boolean | number | bigint | string | PyValue[] | PyTuple | PyDict;
export interface PyTuple { tuple: PyValue[] }
/** A dict with keys in insertion order (keys are str or int in pandas' attributes). */
export interface PyDict { dict: Array<[PyValue, PyValue]> }

export function pyTuple(...items: PyValue[]): PyTuple { return { tuple: items }; }
export function pyDict(entries: Array<[PyValue, PyValue]>): PyDict { return { dict: entries }; }
export function isTuple(v: PyValue): v is PyTuple { return typeof v === 'object' && v !== null && !Array.isArray(v) && 'tuple' in v; }
export function isDict(v: PyValue): v is PyDict { return typeof v === 'object' && v !== null && !Array.isArray(v) && 'dict' in v; }

/** True when PyTables would try to unpickle this attribute value (a byte string ending in '.'). */
export function looksPickled(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[bytes.length - 1] === 0x2e && !(bytes.length <= 2 && bytes[0] === 0x30);
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

export class PickleError extends Error {}

/** Decode a pickle (protocol 0–2, containers/str/int/float/None/bool only). Throws PickleError otherwise. */
export function unpickle(input: Uint8Array | string): PyValue {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  const readLine = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new PickleError('truncated pickle (missing newline)');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const need = (n: number): void => { if (pos + n > buf.length) throw new PickleError('truncated pickle'); };
  const popMark = (): PyValue[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) {
        const items = stack.splice(i) as StackItem[];
        return items.slice(1) as PyValue[];
      }
    }
    throw new PickleError('pickle MARK not found');
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleError('pickle stack underflow');
    return v;
  };
  const pop = (): PyValue => { const v = top(); stack.pop(); return v; };
  const appendTo = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) throw new PickleError('APPEND on a non-list');
    target.push(...items);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!isDict(target)) throw new PickleError('SETITEM on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) target.dict.push([items[i], items[i + 1]]);
  };

  while (pos < buf.length) {
    const op = String.fromCharCode(buf[pos++]);
    switch (op) {
      case '(': stack.push(MARK); break;
      case '.': {
        if (stack.length !== 1) throw new PickleError('pickle STOP with unbalanced stack');
        return pop();
      }
      case 'N': stack.push(null); break;
      case '\x88': stack.push(true); break;
      case '\x89': stack.push(false); break;
      case 'I': {
        const s = readLine();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else stack.push(parseIntChecked(s));
        break;
      }
      case 'L': stack.push(parseIntChecked(readLine().replace(/L$/, ''))); break;
      case 'F': stack.push(Number(readLine())); break;
      case 'J': need(4); stack.push(buf.readInt32LE(pos)); pos += 4; break;
      case 'K': need(1); stack.push(buf[pos]); pos += 1; break;
      case 'M': need(2); stack.push(buf.readUInt16LE(pos)); pos += 2; break;
      case 'G': need(8); stack.push(buf.readDoubleBE(pos)); pos += 8; break;
      case 'V': stack.push(decodeRawUnicodeEscape(readLine())); break;
      case 'S': stack.push(decodePyStringRepr(readLine())); break;
      case 'X': {
        need(4); const n = buf.readUInt32LE(pos); pos += 4; need(n);
        stack.push(buf.toString('utf8', pos, pos + n)); pos += n; break;
      }
      case '\x8c': {
        need(1); const n = buf[pos]; pos += 1; need(n);
        stack.push(buf.toString('utf8', pos, pos + n)); pos += n; break;
      }
      case 'U': {
        need(1); const n = buf[pos]; pos += 1; need(n);
        stack.push(buf.toString('latin1', pos, pos + n)); pos += n; break;
      }
      case 'T': {
        need(4); const n = buf.readUInt32LE(pos); pos += 4; need(n);
        stack.push(buf.toString('latin1', pos, pos + n)); pos += n; break;
      }
      case 'l': stack.push(popMark()); break;
      case ']': stack.push([]); break;
      case 'd': {
        const items = popMark();
        const d = pyDict([]);
        setItems(d, items);
        stack.push(d);
        break;
      }
      case '}': stack.push(pyDict([])); break;
      case 't': stack.push(pyTuple(...popMark())); break;
      case ')': stack.push(pyTuple()); break;
      case '\x85': { const a = pop(); stack.push(pyTuple(a)); break; }
      case '\x86': { const b = pop(); const a = pop(); stack.push(pyTuple(a, b)); break; }
      case '\x87': { const c = pop(); const b = pop(); const a = pop(); stack.push(pyTuple(a, b, c)); break; }
      case 'a': { const v = pop(); appendTo(top(), [v]); break; }
      case 'e': { const items = popMark(); appendTo(top(), items); break; }
      case 's': { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; }
      case 'u': { const items = popMark(); setItems(top(), items); break; }
      case 'p': memo.set(parseIntChecked(readLine()) as number, top()); break;
      case 'q': need(1); memo.set(buf[pos], top()); pos += 1; break;
      case 'r': need(4); memo.set(buf.readUInt32LE(pos), top()); pos += 4; break;
      case '\x94': memo.set(memo.size, top()); break;
      case 'g': stack.push(memoGet(memo, parseIntChecked(readLine()) as number)); break;
      case 'h': need(1); stack.push(memoGet(memo, buf[pos])); pos += 1; break;
      case 'j': need(4); stack.push(memoGet(memo, buf.readUInt32LE(pos))); pos += 4; break;
      case '0': pop(); break;
      case '\x80': need(1); pos += 1; break; // PROTO n
      case '\x95': need(8); pos += 8; break; // FRAME length
      default:
        throw new PickleError(`unsupported pickle opcode 0x${op.charCodeAt(0).toString(16)} ('${op}') at byte ${pos - 1}` +
          ' (only lists, tuples, dicts, str, int, float, bool and None are supported)');
    }
  }
  throw new PickleError('pickle without STOP');
}

function memoGet(memo: Map<number, PyValue>, i: number): PyValue {
  const v = memo.get(i);
  if (v === undefined) throw new PickleError(`pickle memo ${i} not set`);
  return v;
}

function parseIntChecked(s: string): number | bigint {
  if (!/^[-+]?\d+$/.test(s)) throw new PickleError(`bad pickle integer '${s}'`);
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

function decodeRawUnicodeEscape(s: string): string {
  // raw-unicode-escape: bytes are latin-1 except \uXXXX / \UXXXXXXXX escapes.
  const latin = s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) =>
    String.fromCodePoint(parseInt((u4 ?? u8) as string, 16)));
  return latin;
}

function decodePyStringRepr(s: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q) throw new PickleError(`bad pickle STRING ${s}`);
  const body = s.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt0])/g, (_m, e: string) => {
    switch (e[0]) {
      case 'x': return String.fromCharCode(parseInt(e.slice(1), 16));
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case '0': return '\0';
      default: return e;
    }
  });
}

/**
 * Encode as Python's `pickle.dumps(value, 0)` does for these types (memo ids counted the same way,
 * without Python's identity-based `g` back-references, which readers do not need).
 */
export function pickle0(value: PyValue): Buffer {
  const parts: string[] = [];
  let memo = 0;
  const put = (): void => { parts.push(`p${memo++}\n`); };
  const emit = (v: PyValue): void => {
    if (v === null) parts.push('N');
    else if (typeof v === 'boolean') parts.push(v ? 'I01\n' : 'I00\n');
    else if (typeof v === 'bigint') parts.push(`L${v}L\n`);
    else if (typeof v === 'number') {
      if (Number.isInteger(v) && !Object.is(v, -0)) parts.push(`I${v}\n`);
      else parts.push(`F${pyFloatRepr(v)}\n`);
    } else if (typeof v === 'string') { parts.push(`V${encodeRawUnicodeEscape(v)}\n`); put(); }
    else if (Array.isArray(v)) {
      parts.push('(l'); put();
      for (const item of v) { emit(item); parts.push('a'); }
    } else if (isTuple(v)) {
      parts.push('(');
      for (const item of v.tuple) emit(item);
      parts.push('t'); put();
    } else {
      parts.push('(d'); put();
      for (const [k, val] of v.dict) { emit(k); emit(val); parts.push('s'); }
    }
  };
  emit(value);
  parts.push('.');
  return Buffer.from(parts.join(''), 'latin1');
}

function encodeRawUnicodeEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp === 0x5c || cp === 0x0a || cp === 0x0d || cp > 0xff) {
      out += cp > 0xffff ? '\\U' + cp.toString(16).padStart(8, '0') : '\\u' + cp.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out;
}

function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const s = String(v);
  return /[.eE]/.test(s) ? s : s + '.0';
}
