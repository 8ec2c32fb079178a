/**
 * Raised when a capture file (or stream) is not a capture, or stops being a valid one.
 * Readers throw it only after every good packet before `offset` has been delivered.
 */
export class CaptureFormatError extends Error {
  /** File path, or a label such as `<stdin>` / `<stream>`. */
  readonly file: string;
  /** Byte offset (in the uncompressed capture data) where the problem starts; -1 when unknown. */
  readonly offset: number;
  /** What is wrong, in words, without the file and offset. */
  readonly reason: string;

  constructor(file: string, offset: number, reason: string) {
    super(offset >= 0 ? `${file}: at byte ${offset}: ${reason}` : `${file}: ${reason}`);
    this.name = 'CaptureFormatError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}
