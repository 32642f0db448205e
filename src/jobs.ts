import type { Logger } from "./log.js";

type Job = { name: string; fn: () => Promise<void>; timer: NodeJS.Timeout; running: Promise<void> | null };

/**
 * Periodic background work (daily posts, follow-ups, nudges). A job never overlaps itself, its errors
 * are logged, and `stop()` clears every timer and waits for runs in progress. Correctness never depends
 * on a tick's timing: jobs act on state in the store ("what is due now?"), so a missed tick is harmless.
 */
export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(private readonly logger: Logger) {}

  every(name: string, intervalMs: number, fn: () => Promise<void>, options: { runNow?: boolean } = {}): void {
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
      .then(() => job.fn())
      .catch((error: unknown) => this.logger.error({ err: error, job: job.name }, "job failed"))
      .finally(() => {
        if (job.running === running) job.running = null;
      });
    job.running = running;
  }

  get names(): string[] {
    return [...this.jobs.keys()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs.values()) clearInterval(job.timer);
    await Promise.all([...this.jobs.values()].map((job) => job.running));
    this.jobs.clear();
  }
}
