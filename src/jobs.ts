import type { Logger } from "./log.js";

/** A job's work; `signal` is aborted when the bot stops: a run then ends at its next step between guilds. */
export type JobFn = (signal: AbortSignal) => Promise<void>;

type Job = { name: string; fn: JobFn; timer: NodeJS.Timeout; running: Promise<void> | null };

/**
 * Periodic background work (daily posts, follow-ups, nudges). A job never overlaps itself, its errors
 * are logged, and `stop()` clears every timer, asks runs in progress to end and waits for them, for a
 * bounded time. Correctness never depends on a tick's timing: jobs act on state in the store ("what is due
 * now?"), so a missed tick, or a run left unfinished, is taken up by the next process.
 */
export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private readonly stopping = new AbortController();

  constructor(private readonly logger: Logger) {}

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  every(name: string, intervalMs: number, fn: JobFn, options: { runNow?: boolean } = {}): void {
    if (this.stopped) return;
    if (this.jobs.has(name)) throw new Error(`job ${name} already registered`);
    const job: Job = { name, fn, timer: setInterval(() => this.run(job), intervalMs), running: null };
    job.timer.unref();
    this.jobs.set(name, job);
    if (options.runNow !== false) this.run(job);
  }

  /** Runs a registered job now (or joins the run in progress) and resolves when that run ends. */
  async runNow(name: string): Promise<void> {
    const job = this.jobs.get(name);
    if (job === undefined) throw new Error(`no job ${name}`);
    this.run(job);
    await job.running;
  }

  private run(job: Job): void {
    if (job.running !== null || this.stopped) return;
    // Started a tick later: a function that throws before returning its promise fails this run alone, and the
    // run is set before it can end (an end that came first would be overwritten, and the job never run again).
    const running: Promise<void> = Promise.resolve()
      .then(() => job.fn(this.stopping.signal))
      .catch((error: unknown) => this.logger.error({ err: error, job: job.name }, "job failed"))
      .finally(() => {
        if (job.running === running) job.running = null;
      });
    job.running = running;
  }

  get names(): string[] {
    return [...this.jobs.keys()];
  }

  /**
   * Stops the timers and signals runs in progress to end, then waits for them for at most `timeoutMs`
   * (shutdown has a deadline: a daily fan-out to many servers at 50 requests/s would outlast it). Resolves
   * `true` when every run ended in time.
   */
  async stop(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.stopping.abort();
    for (const job of this.jobs.values()) clearInterval(job.timer);
    const runs = [...this.jobs.values()].map((job) => job.running);
    this.jobs.clear();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all(runs).then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
