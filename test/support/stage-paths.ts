/**
 * Paths the post-model stage tests share (behaviour rules, payload signatures, lone-flow context):
 * the built `deepmad` CLI, the shared pcaps with the skip reason when they are absent, and
 * the SSH password-guessing fixture.
 */
import fs from 'node:fs';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');
export const pcaps = path.resolve(repo, '..', 'shared', 'data', 'pcaps');
export const needShared: string | false = !fs.existsSync(pcaps) ? 'needs ../shared/data/pcaps' : false;
export const cli = path.join(repo, 'dist', 'bin', 'deepmad.js');
export const SSH_GUESS = path.join(repo, 'test', 'fixtures', 'alerts', 'zeek_ssh_sshguess.pcap');
