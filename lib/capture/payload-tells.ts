/**
 * Payload tells: a few bytes of a TCP payload looked at once, at decode time, while the packet's bytes
 * are still in the capture buffer (a PacketBatch keeps no payload). Flow statistics cannot see attacks
 * whose only difference from benign traffic is content: a Heartbleed request, an SQL injection in a
 * query string, a failed VNC login. The decoder writes one Uint16 of TELL_* bits per packet; the flow
 * engine ORs them into the flow (mergeTells, which applies the rules that need packet order) and writes
 * the flow's SIG_* bits (flowSignatures) beside its features. The classifier's signature stage turns
 * them into alerts.
 *
 * Cost: most packets are rejected by one look at the first payload byte; HTTP request lines and TLS
 * record headers are walked within the captured bytes only, with no allocation.
 *
 * STATUS: interface fixed by the lead; inspection bodies are being written (see inspectTcpPayload).
 */

// ---- per-packet tells (PacketBatch.tells) ----
/** A TLS handshake record (content type 22) starts a record walked in this segment. */
export const TELL_TLS_HANDSHAKE = 1 << 0;
/** A TLS ChangeCipherSpec record (20): what this side sends after it is encrypted. */
export const TELL_TLS_CCS = 1 << 1;
/** A cleartext TLS heartbeat request whose stated payload length leaves less than RFC 6520's 16 bytes of padding. */
export const TELL_TLS_HEARTBEAT_OVERRUN = 1 << 2;
/** An HTTP request whose target or form body holds an SQL injection pattern. */
export const TELL_HTTP_SQLI = 1 << 3;
/** An HTTP request whose target or form body holds a script-injection (XSS) pattern. */
export const TELL_HTTP_XSS = 1 << 4;
/** An HTTP request whose target climbs directories (../../) or names a well-known system file. */
export const TELL_HTTP_TRAVERSAL = 1 << 5;
/** A `${jndi:` lookup (Log4Shell, CVE-2021-44228) anywhere in an HTTP request's captured bytes. */
export const TELL_JNDI = 1 << 6;
/** An RFB (VNC) version banner of protocol 3.7 or later ("RFB 003.007\n", "RFB 003.008\n", Apple's "RFB 003.889\n"). */
export const TELL_RFB_V37 = 1 << 7;
/** An RFB SecurityResult "failed" (u32 1, alone or followed by its reason string). */
export const TELL_RFB_AUTH_FAILED = 1 << 8;

// ---- per-flow signatures (FlowBatch.signatures) ----
export const SIG_HEARTBLEED = 1;
export const SIG_SQLI = 2;
export const SIG_XSS = 4;
export const SIG_TRAVERSAL = 8;
export const SIG_JNDI = 16;
export const SIG_VNC_AUTH_FAILED = 32;

/** Signature bit → the label an escalated flow gets (attack names as the CIC-IDS2017 classes spell them where one exists). */
export const SIGNATURE_LABELS: ReadonlyArray<readonly [number, string]> = [
  [SIG_HEARTBLEED, 'Heartbleed'],
  [SIG_SQLI, 'Web Attack - SQL Injection'],
  [SIG_XSS, 'Web Attack - XSS'],
  [SIG_TRAVERSAL, 'Web Attack - Path Traversal'],
  [SIG_JNDI, 'Log4Shell JNDI Lookup'],
  [SIG_VNC_AUTH_FAILED, 'VNC Authentication Failure'],
];

/** The flow field (objects) / text column (flow columns) that carries a flow's signatures; absent or '' when none. */
export const SIGNATURE_FIELD = 'Payload Signature';

/**
 * Tells of one TCP segment: `buf[off, off + captured)` are the payload bytes the capture holds,
 * `payloadLen` (≥ captured) what the IP length fields say the segment carried.
 */
export function inspectTcpPayload(buf: Uint8Array, off: number, captured: number, payloadLen: number): number {
  void buf; void off; void captured; void payloadLen;
  return 0;
}

/**
 * Adds a packet's tells to a flow's mask (forward tells in bits 0–15, backward in 16–31) and returns the
 * new mask (as an unsigned 32-bit number). `packetsBefore` is how many packets the flow had before this one.
 * Order-dependent rules live here.
 */
export function mergeTells(mask: number, tells: number, fwd: boolean, packetsBefore: number): number {
  void packetsBefore;
  return (mask | (fwd ? tells : tells << 16)) >>> 0;
}

/** SIG_* bits of a flow's final mask. */
export function flowSignatures(mask: number): number {
  void mask;
  return 0;
}

const textCache: string[] = [];
/** '' or the labels of `sigs` joined by ', ' (cached: at most 64 distinct values). */
export function signatureText(sigs: number): string {
  if (sigs === 0) return '';
  let t = textCache[sigs];
  if (t === undefined) {
    t = SIGNATURE_LABELS.filter(([bit]) => (sigs & bit) !== 0).map(([, label]) => label).join(', ');
    textCache[sigs] = t;
  }
  return t;
}
