// Takes the kubelet's timestamp off every line of an archived log, byte for byte otherwise:
// invalid UTF-8, very long lines and a missing final newline pass through untouched. Works on
// bytes, not strings (only a line's first bytes, ASCII when they are a timestamp, are decoded),
// so nothing is re-encoded and nothing is held beyond one line's first 64 bytes.
import { Transform, type TransformCallback } from 'node:stream';
import { stripTimestamp } from '../resources/logs/keys.ts';

/** Longest timestamp prefix stripTimestamp accepts, plus its space. */
const headLength = 41;

/** Bytes to drop at the start of a line whose first bytes are head. */
export function timestampLength(head: Buffer): number {
  const text = head.toString('latin1');
  return text.length - stripTimestamp(text).length;
}

export class StripTimestamps extends Transform {
  /** The start of the current line, while it may still be a timestamp. */
  private head: Buffer | undefined = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      if (this.head !== undefined) {
        // Collect the line's first bytes until headLength or the line's end.
        const newline = chunk.indexOf(10, start);
        const end = newline === -1 ? chunk.length : newline + 1;
        const want = headLength - this.head.length;
        const take = Math.min(want, end - start);
        this.head = Buffer.concat([this.head, chunk.subarray(start, start + take)]);
        start += take;
        const lineEnded = this.head.at(-1) === 10;
        if (this.head.length < headLength && !lineEnded) continue;
        const head = this.head;
        this.head = lineEnded ? Buffer.alloc(0) : undefined;
        this.push(head.subarray(timestampLength(lineEnded ? head.subarray(0, -1) : head)));
        continue;
      }
      // In the middle of a line: pass bytes through up to and including its newline.
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        this.push(chunk.subarray(start));
        return done();
      }
      this.push(chunk.subarray(start, newline + 1));
      start = newline + 1;
      this.head = Buffer.alloc(0);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.head && this.head.length > 0) this.push(this.head.subarray(timestampLength(this.head)));
    done();
  }
}
