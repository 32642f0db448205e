/** Counts interactions being handled, so shutdown can let them finish (bounded). */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  get size(): number {
    return this.running.size;
  }

  get accepting(): boolean {
    return !this.closed;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Stops accepting work and waits for what runs now, at most `timeoutMs`; true if everything finished. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = Promise.allSettled([...this.running]).then(() => true as const);
    const finished = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return finished;
  }
}
