/**
 * A token bucket: `qps` tokens a second, up to `burst` saved. take() resolves when a token is
 * available, in call order. It bounds how hard the operator can hit the API server, as
 * client-go's client-side rate limiter does.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly qps: number;
  private readonly burst: number;
  private readonly now: () => number;

  constructor(qps: number, burst: number, now: () => number = () => performance.now()) {
    if (!(qps > 0) || !(burst >= 1))
      throw new Error(`token bucket needs qps > 0 and burst >= 1 (got ${qps}, ${burst})`);
    this.qps = qps;
    this.burst = burst;
    this.now = now;
    this.tokens = burst;
    this.last = now();
  }

  /** Milliseconds the next take() would wait if called now (0 when a token is ready). */
  private reserve(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  take(): Promise<void> {
    const wait = this.reserve();
    if (wait === 0) return Promise.resolve();
    // The reservation is made now, so callers are served in call order.
    return new Promise<void>((resolve) => setTimeout(resolve, wait));
  }
}
