/** Addresses of the traffic lab's two network namespaces (joined by one veth pair; nothing is routed elsewhere). */
export const SRV_NS = 'dmlab-srv';
export const CLI_NS = 'dmlab-cli';
export const SRV_IP = '10.77.0.1';
/** Extra server addresses, so record-level TLS responders can listen on :443 next to the real HTTPS server. */
export const TLS_VULNERABLE_IP = '10.77.0.10';
export const TLS_PATCHED_IP = '10.77.0.11';
export const CLIENT_IPS = ['10.77.0.2', '10.77.0.3', '10.77.0.4', '10.77.0.5'];
export const ATTACKER_IP = '10.77.0.66';
