// Each line a container printed, prefixed with its step: "[build] compiling...". Works on bytes:
// the prefix goes in front of every line start, everything else passes untouched (invalid
// UTF-8, long lines). A last line without a newline gets one, so the next step's first line
// starts on a line of its own.
const colours = [36, 33, 35, 32, 34, 31];

export function prefixFor(name: string, index: number, colour: boolean): Buffer {
  const label = `[${name}]`;
  const code = colours[index % colours.length] ?? 36;
  return Buffer.from(colour ? `\x1b[${code}m${label}\x1b[0m ` : `${label} `);
}

export class LinePrefixer {
  private readonly prefix: Buffer;
  private atLineStart = true;

  constructor(prefix: Buffer) {
    this.prefix = prefix;
  }

  /** The chunk with the prefix at every line start in it. */
  push(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let start = 0;
    while (start < chunk.length) {
      if (this.atLineStart) parts.push(this.prefix);
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        parts.push(chunk.subarray(start));
        this.atLineStart = false;
        break;
      }
      parts.push(chunk.subarray(start, newline + 1));
      start = newline + 1;
      this.atLineStart = true;
    }
    return Buffer.concat(parts);
  }

  /** A newline if the last line had none. */
  end(): Buffer {
    const out = this.atLineStart ? Buffer.alloc(0) : Buffer.from('\n');
    this.atLineStart = true;
    return out;
  }
}
