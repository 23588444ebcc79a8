/** What a capped capture kept of a command's output. */
export type CapturedOutput = { output: string; outputBytes: number; truncated: boolean };

/**
 * Collects a stream of output chunks keeping only the first and last `maxBytes / 2` bytes,
 * so memory stays bounded however much a command prints; counts every byte seen.
 *
 * @example
 * const capture = new OutputCapture(1024);
 * capture.push(Buffer.from("hello\n"));
 * capture.result(); // { output: "hello\n", outputBytes: 6, truncated: false }
 */
export class OutputCapture {
  readonly #headLimit: number;
  readonly #tailLimit: number;
  #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  #total = 0;

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 2) {
      throw new RangeError(`the output cap must be a whole number of bytes ≥ 2 (got ${maxBytes})`);
    }
    this.#headLimit = Math.ceil(maxBytes / 2);
    this.#tailLimit = Math.floor(maxBytes / 2);
  }

  push(chunk: Buffer): void {
    this.#total += chunk.length;
    let rest = chunk;
    if (this.#headBytes < this.#headLimit) {
      const take = Math.min(rest.length, this.#headLimit - this.#headBytes);
      this.#head.push(rest.subarray(0, take));
      this.#headBytes += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0) return;
    // Copy so a big chunk's backing memory is not pinned by the small tail slice kept of it.
    const kept =
      rest.length > this.#tailLimit ? Buffer.from(rest.subarray(rest.length - this.#tailLimit)) : rest;
    this.#tail.push(kept);
    this.#tailBytes += kept.length;
    while (this.#tail.length > 1 && this.#tailBytes - (this.#tail[0]?.length ?? 0) >= this.#tailLimit) {
      this.#tailBytes -= this.#tail.shift()?.length ?? 0;
    }
  }

  result(): CapturedOutput {
    const head = Buffer.concat(this.#head);
    let tail = Buffer.concat(this.#tail);
    if (tail.length > this.#tailLimit) tail = tail.subarray(tail.length - this.#tailLimit);
    const omitted = this.#total - head.length - tail.length;
    if (omitted === 0) {
      return {
        output: Buffer.concat([head, tail]).toString("utf8"),
        outputBytes: this.#total,
        truncated: false,
      };
    }
    const marker = `\n[… ${omitted} bytes of output omitted (${this.#total} in all) …]\n`;
    return {
      output: `${head.toString("utf8")}${marker}${tail.toString("utf8")}`,
      outputBytes: this.#total,
      truncated: true,
    };
  }
}
