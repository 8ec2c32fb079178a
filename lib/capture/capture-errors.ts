/**
 * Errors of live capture set-up (dumpcap or libpcap) that a user can fix, each with the exact fix in
 * `hint`, so nodes and the CLI show the same advice.
 */
import os from 'node:os';

export type CaptureSetupCode =
  | 'DUMPCAP_MISSING'
  | 'DUMPCAP_NOT_EXECUTABLE'
  | 'NO_PERMISSION'
  | 'NO_SUCH_INTERFACE'
  | 'BAD_FILTER'
  | 'BAD_OPTION'
  | 'CAP_MISSING'
  | 'CAPTURE_FAILED';

export class CaptureSetupError extends Error {
  readonly code: CaptureSetupCode;
  /** What the user should do, in words (commands included). */
  readonly hint: string;
  /** The tool's own words (dumpcap stderr, libpcap message), when there are any. */
  readonly detail: string;

  constructor(code: CaptureSetupCode, message: string, hint = '', detail = '') {
    super(hint ? `${message}. ${hint}` : message);
    this.name = 'CaptureSetupError';
    this.code = code;
    this.hint = hint;
    this.detail = detail;
  }
}

/** The account the runtime runs as (for "add <user> to the wireshark group"). */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? '<node-red user>';
  }
}

export function dumpcapMissingHint(): string {
  return 'Install Wireshark\'s dumpcap: on Debian/Ubuntu/Raspberry Pi OS run "sudo apt-get install tshark" '
    + '(dumpcap comes in wireshark-common; answer Yes to "Should non-superusers be able to capture packets?"), '
    + 'on Fedora "sudo dnf install wireshark-cli", on macOS install Wireshark; '
    + 'or set the dumpcap path in the node if it is installed elsewhere';
}

export function permissionHint(user = currentUser()): string {
  return 'Allow non-root capture: run "sudo dpkg-reconfigure wireshark-common" and answer Yes '
    + `(this gives /usr/bin/dumpcap the capture capabilities and creates the wireshark group), then "sudo usermod -aG wireshark ${user}" `
    + 'and restart Node-RED (the group applies to new logins, e.g. "sudo systemctl restart nodered"). Do not run Node-RED as root';
}

export function capMissingHint(): string {
  return 'The optional "cap" module (libpcap binding) is not installed or could not be built. '
    + 'Install the build prerequisites with "sudo apt-get install libpcap-dev build-essential python3", '
    + 'then reinstall this package (cd ~/.node-red && npm install node-red-contrib-deepmad) and restart Node-RED; '
    + 'or use the dumpcap capture node, which needs no native module';
}

export function libpcapPermissionHint(): string {
  return 'libpcap needs CAP_NET_RAW and CAP_NET_ADMIN in the Node-RED process: add '
    + '"AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN" to the [Service] section of the Node-RED systemd unit '
    + '("sudo systemctl edit nodered") and restart it; or use the dumpcap capture node with the wireshark group, '
    + 'which keeps Node-RED unprivileged';
}
