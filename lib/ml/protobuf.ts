/**
 * Minimal protobuf wire-format writer and reader: just what the ONNX subset needs.
 * Own code rather than protobufjs/onnx-proto: ~150 lines, no dependency, and repeated numbers
 * are written *packed* (every protobuf parser accepts packed and unpacked), which halves
 * the size of large tree ensembles compared with an unpacked proto2 encoder.
 */

export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Unsigned varint of a non-negative number (exact up to 2^53). */
  varint(v: number): this {
    this.ensure(10);
    if (v < 0) return this.varint64(BigInt(v));
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Varint of a signed 64-bit value (two's complement, as int64 fields are). */
  varint64(v: bigint): this {
    this.ensure(10);
    let u = BigInt.asUintN(64, v);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  private tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, v: number): this {
    this.tag(field, 0);
    return Number.isInteger(v) && v >= 0 ? this.varint(v) : this.varint64(BigInt(Math.trunc(v)));
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  /** Embedded message built by `fill`. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter(256);
    fill(inner);
    return this.bytes(field, inner.finish());
  }

  packedInts(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter(values.length * 2 + 8);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isInteger(v) && v >= 0) inner.varint(v);
      else inner.varint64(BigInt(Math.trunc(v)));
    }
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const f = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.bytes(field, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** One field as read from the wire: `raw` is the exact encoded bytes (tag included), for re-emitting untouched. */
export interface ProtoField {
  field: number;
  wire: number;
  /** varint value (wire 0), as bigint to be exact. */
  int?: bigint;
  /** payload of a length-delimited field (wire 2), or the 4/8 bytes of a fixed field. */
  data?: Uint8Array;
  raw: Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return [result, pos];
    shift += 7n;
    if (shift > 70n) throw new Error('protobuf: varint too long');
  }
}

/** Splits a message into its fields (one level deep). Throws on malformed input. */
export function readFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new Error('protobuf: field number 0');
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({ field, wire, int: v, raw: buf.subarray(start, pos) });
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new Error('protobuf: truncated length-delimited field');
      pos = end;
      out.push({ field, wire, data: buf.subarray(p2, end), raw: buf.subarray(start, end) });
    } else if (wire === 5 || wire === 1) {
      const end = pos + (wire === 5 ? 4 : 8);
      if (end > buf.length) throw new Error('protobuf: truncated fixed field');
      out.push({ field, wire, data: buf.subarray(pos, end), raw: buf.subarray(start, end) });
      pos = end;
    } else {
      throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
  return out;
}

export function fieldString(f: ProtoField): string {
  return Buffer.from(f.data ?? new Uint8Array(0)).toString('utf8');
}

/** Reads a repeated int field, packed or not. */
export function repeatedInts(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(Number(BigInt.asIntN(64, f.int!)));
    else if (f.wire === 2) {
      let pos = 0;
      while (pos < f.data!.length) {
        const [v, p] = readVarint(f.data!, pos);
        out.push(Number(BigInt.asIntN(64, v)));
        pos = p;
      }
    }
  }
  return out;
}

/** Reads a repeated float field, packed or not. */
export function repeatedFloats(fields: ProtoField[], field: number): number[] {
  const out: number[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    const d = f.data!;
    const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (let p = 0; p + 4 <= d.length; p += 4) out.push(view.getFloat32(p, true));
  }
  return out;
}

/** Concatenates encoded fields (each `raw` already carries its tag). */
export function joinFields(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export function encodeField(field: number, data: Uint8Array): Uint8Array {
  return new ProtoWriter(data.length + 16).bytes(field, data).finish();
}
