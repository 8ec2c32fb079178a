/**
 * Independent cross-checks against tools that are not CICFlowMeter, where the definitions coincide:
 *  - nfstream (accounting_mode 1 = IP bytes) on nfstream_google_ssl: per-direction packets, IP bytes
 *    (= our payload + L4 header + 20-byte IPv4 header per packet), TCP flag counts, IAT statistics
 *    (nfstream works in ms, so values agree to the ms), duration.
 *  - nDPI ndpiReader on ndpi_memcached (same-host TCP): per-direction packets and frame bytes
 *    (= payload + L4 header + IPv4 20 + Ethernet 14). nDPI tells directions apart by port, so this uses
 *    our directionByIpAndPort option (the CIC tools class every same-host packet as forward).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Flowmeter } from '../../lib/flow/flowmeter.js';
import { toObjects, type FlowObject } from '../../lib/flow/output.js';

const PCAPS = path.resolve(__dirname, '../../../shared/data/pcaps');
const skip = fs.existsSync(PCAPS) ? false : 'needs ../shared/data/pcaps beside the repository';

async function flows(file: string, opts: ConstructorParameters<typeof Flowmeter>[0] = {}): Promise<FlowObject[]> {
  const out: FlowObject[] = [];
  const fm = new Flowmeter({ ...opts, offline: file, onFlows: (b) => out.push(...toObjects(b, fm.profile)) });
  await fm.run();
  return out;
}
const n = (v: unknown): number => v as number;

describe('cross-check with nfstream and nDPI', { skip }, () => {
  it('nfstream statistics of nfstream_google_ssl (improved profile: one flow per connection)', async () => {
    const exp = JSON.parse(fs.readFileSync(path.join(PCAPS, 'benign', 'nfstream_google_ssl.pcap.nfstream-stats.json'), 'utf8')).expected;
    const [f] = await flows(path.join(PCAPS, 'benign', 'nfstream_google_ssl.pcap'));
    assert.equal(f['Src IP'], exp.src_ip);
    assert.equal(f['Dst Port'], exp.dst_port);
    assert.equal(f['Total Fwd Packet'], exp.src2dst_packets);
    assert.equal(f['Total Bwd packets'], exp.dst2src_packets);
    const ipBytes = (len: string, hdr: string, pk: string) => n(f[len]) + n(f[hdr]) + 20 * n(f[pk]);
    assert.equal(ipBytes('Total Length of Fwd Packet', 'Fwd Header Length', 'Total Fwd Packet'), exp.src2dst_bytes);
    assert.equal(ipBytes('Total Length of Bwd Packet', 'Bwd Header Length', 'Total Bwd packets'), exp.dst2src_bytes);
    assert.deepEqual(
      ['SYN Flag Count', 'ACK Flag Count', 'PSH Flag Count', 'FIN Flag Count', 'RST Flag Count', 'URG Flag Count', 'CWR Flag Count', 'ECE Flag Count'].map((k) => f[k]),
      [exp.bidirectional_syn_packets, exp.bidirectional_ack_packets, exp.bidirectional_psh_packets, exp.bidirectional_fin_packets,
        exp.bidirectional_rst_packets, exp.bidirectional_urg_packets, exp.bidirectional_cwr_packets, exp.bidirectional_ece_packets]);
    assert.deepEqual([f['Fwd PSH Flags'], f['Bwd PSH Flags']], [exp.src2dst_psh_packets, exp.dst2src_psh_packets]);
    // nfstream timestamps are whole milliseconds: agree within 1 ms
    const ms = (us: unknown) => n(us) / 1000;
    const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1, `${what}: ours ${a} ms, nfstream ${b} ms`);
    near(ms(f['Flow Duration']), exp.bidirectional_duration_ms, 'duration');
    near(ms(f['Flow IAT Mean']), exp.bidirectional_mean_piat_ms, 'flow IAT mean');
    near(ms(f['Flow IAT Max']), exp.bidirectional_max_piat_ms, 'flow IAT max');
    near(ms(f['Fwd IAT Mean']), exp.src2dst_mean_piat_ms, 'fwd IAT mean');
    near(ms(f['Fwd IAT Min']), exp.src2dst_min_piat_ms, 'fwd IAT min');
    near(ms(f['Fwd IAT Max']), exp.src2dst_max_piat_ms, 'fwd IAT max');
    near(ms(f['Bwd IAT Mean']), exp.dst2src_mean_piat_ms, 'bwd IAT mean');
    near(ms(f['Bwd IAT Std']), exp.dst2src_stddev_piat_ms, 'bwd IAT std (both sample std)');
    near(ms(f['Bwd IAT Max']), exp.dst2src_max_piat_ms, 'bwd IAT max');
  });

  it('nDPI per-flow counts of ndpi_memcached (direction by IP and port)', async () => {
    const out = fs.readFileSync(path.join(PCAPS, 'benign', 'ndpi_memcached.cap.ndpiReader.out'), 'utf8');
    const m = /TCP 127\.0\.0\.1:59604 <-> 127\.0\.0\.1:11211 .*\[(\d+) pkts\/(\d+) bytes <-> (\d+) pkts\/(\d+) bytes\]/.exec(out);
    assert.ok(m, 'nDPI flow line');
    const [c2sPkts, c2sBytes, s2cPkts, s2cBytes] = m.slice(1).map(Number);
    const [f] = await flows(path.join(PCAPS, 'benign', 'ndpi_memcached.cap'), { directionByIpAndPort: true });
    assert.equal(f['Src Port'], 59604);
    assert.equal(f['Total Fwd Packet'], c2sPkts);
    assert.equal(f['Total Bwd packets'], s2cPkts);
    const frame = (len: string, hdr: string, pk: string) => n(f[len]) + n(f[hdr]) + 34 * n(f[pk]);
    assert.equal(frame('Total Length of Fwd Packet', 'Fwd Header Length', 'Total Fwd Packet'), c2sBytes);
    assert.equal(frame('Total Length of Bwd Packet', 'Bwd Header Length', 'Total Bwd packets'), s2cBytes);
  });
});
