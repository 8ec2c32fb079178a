/**
 * TLS at record level for the traffic lab's heartbeat scenarios: just enough of RFC 5246 / RFC 6520
 * framing to put plausible handshake, application-data and heartbeat records on the wire. Nothing is
 * encrypted: the flow meter sees only sizes and timing, and the lab's client and responder are our
 * own code on both ends, so "encrypted" bodies are random bytes with a readable prefix.
 */
import { Random } from '../random.js';

export const REC_CHANGE_CIPHER_SPEC = 20;
export const REC_ALERT = 21;
export const REC_HANDSHAKE = 22;
export const REC_APPLICATION_DATA = 23;
export const REC_HEARTBEAT = 24;
/** Largest plaintext record body (2^14), what a TLS stack splits longer writes into. */
export const MAX_FRAGMENT = 16384;

export interface TlsRecord { type: number; version: number; body: Buffer }

export function randomBytes(rng: Random, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

/** One record: type, version, uint16 length, body. */
export function record(type: number, body: Buffer, version = 0x0303): Buffer {
  const h = Buffer.alloc(5);
  h[0] = type;
  h.writeUInt16BE(version, 1);
  h.writeUInt16BE(body.length, 3);
  return Buffer.concat([h, body]);
}

/** `type` records carrying `body`, split at MAX_FRAGMENT like a TLS stack writing a long message. */
export function fragmented(type: number, body: Buffer, version = 0x0303): Buffer {
  const parts: Buffer[] = [];
  for (let o = 0; o < body.length || o === 0; o += MAX_FRAGMENT) parts.push(record(type, body.subarray(o, o + MAX_FRAGMENT), version));
  return Buffer.concat(parts);
}

/** A handshake message: type, uint24 length, body. */
export function handshake(msgType: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = msgType;
  h.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([h, body]);
}

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const ext = (type: number, body: Buffer): Buffer => Buffer.concat([u16(type), u16(body.length), body]);
/** The heartbeat extension (RFC 6520), mode 1 = peer allowed to send. */
const HEARTBEAT_EXT = ext(0x000f, Buffer.from([1]));

/** A ClientHello record offering `suites` cipher suites, with or without the heartbeat extension. */
export function clientHello(rng: Random, suites: number, withHeartbeat: boolean, sessionId: boolean): Buffer {
  const cs = Buffer.alloc(suites * 2);
  for (let i = 0; i < suites; i++) cs.writeUInt16BE(0xc000 + rng.int(0x100), i * 2);
  const exts = Buffer.concat([
    ext(0x000a, Buffer.from([0, 6, 0, 0x17, 0, 0x18, 0, 0x1d])), // supported groups
    ext(0x000b, Buffer.from([1, 0])), // ec point formats
    ext(0x000d, Buffer.concat([u16(8), Buffer.from([4, 1, 5, 1, 6, 1, 2, 1])])), // signature algorithms
    ...(withHeartbeat ? [HEARTBEAT_EXT] : []),
  ]);
  const sid = sessionId ? randomBytes(rng, 32) : Buffer.alloc(0);
  const body = Buffer.concat([u16(0x0303), randomBytes(rng, 32), Buffer.from([sid.length]), sid, u16(cs.length), cs, Buffer.from([1, 0]), u16(exts.length), exts]);
  return record(REC_HANDSHAKE, handshake(1, body), 0x0301);
}

/** ServerHello + Certificate + ServerKeyExchange + ServerHelloDone, one record each (one write). */
export function serverFlight(rng: Random, certDer: Buffer): Buffer {
  const hello = Buffer.concat([u16(0x0303), randomBytes(rng, 32), Buffer.from([32]), randomBytes(rng, 32), u16(0xc02f), Buffer.from([0]),
    u16(HEARTBEAT_EXT.length + 5), ext(0xff01, Buffer.from([0])), HEARTBEAT_EXT]);
  const certLen = Buffer.alloc(3);
  certLen.writeUIntBE(certDer.length, 0, 3);
  const chainLen = Buffer.alloc(3);
  chainLen.writeUIntBE(certDer.length + 3, 0, 3);
  const kx = Buffer.concat([Buffer.from([3, 0, 0x17, 65]), randomBytes(rng, 65), Buffer.from([4, 1]), u16(256), randomBytes(rng, 256)]);
  return Buffer.concat([
    record(REC_HANDSHAKE, handshake(2, hello)),
    record(REC_HANDSHAKE, handshake(11, Buffer.concat([chainLen, certLen, certDer]))),
    record(REC_HANDSHAKE, handshake(12, kx)),
    record(REC_HANDSHAKE, handshake(14, Buffer.alloc(0))),
  ]);
}

/** ClientKeyExchange, ChangeCipherSpec and an (opaque) Finished: the client's second flight. */
export function clientFinish(rng: Random): Buffer {
  return Buffer.concat([
    record(REC_HANDSHAKE, handshake(16, Buffer.concat([Buffer.from([65]), randomBytes(rng, 65)]))),
    record(REC_CHANGE_CIPHER_SPEC, Buffer.from([1])),
    record(REC_HANDSHAKE, randomBytes(rng, 40)),
  ]);
}

/** ChangeCipherSpec and an (opaque) Finished: the server's answer to clientFinish. */
export function serverFinish(rng: Random): Buffer {
  return Buffer.concat([record(REC_CHANGE_CIPHER_SPEC, Buffer.from([1])), record(REC_HANDSHAKE, randomBytes(rng, 40))]);
}

/**
 * A heartbeat message body: type (1 request, 2 response), the claimed uint16 payload_length, the
 * payload actually carried and padding. Heartbleed is a request whose claimed length exceeds what
 * it carries.
 */
export function heartbeatBody(type: 1 | 2, claimed: number, payload: Buffer, padding: number, rng: Random): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(claimed), payload, randomBytes(rng, padding)]);
}

/** Claimed payload length of a heartbeat body, and whether the record really carries that much (RFC 6520: 1 + 2 + payload + ≥ 16 padding). */
export function parseHeartbeat(body: Buffer): { type: number; claimed: number; wellFormed: boolean } | null {
  if (body.length < 3) return null;
  const claimed = body.readUInt16BE(1);
  return { type: body[0], claimed, wellFormed: 3 + claimed + 16 <= body.length };
}

/** Splits a TCP byte stream into TLS records (records may span reads). */
export class RecordSplitter {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): TlsRecord[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: TlsRecord[] = [];
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt16BE(3);
      if (this.buf.length < 5 + len) break;
      out.push({ type: this.buf[0], version: this.buf.readUInt16BE(1), body: this.buf.subarray(5, 5 + len) });
      this.buf = this.buf.subarray(5 + len);
    }
    return out;
  }
}

/** DER bytes of the first certificate in a PEM file's text. */
export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('no certificate in PEM text');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}
