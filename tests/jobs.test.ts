import { describe, expect, it } from "vitest";
import { Jobs } from "../src/jobs.js";
import { silentLogger } from "../src/log.js";

describe("jobs", () => {
  it("GIVEN a job whose function throws before returning a promise WHEN it is run again THEN it runs again", async () => {
    const jobs = new Jobs(silentLogger());
    let runs = 0;
    const fn = (() => {
      runs += 1;
      if (runs === 1) throw new Error("bad state on the first run");
      return Promise.resolve();
    }) as () => Promise<void>;
    jobs.every("flaky", 60_000, fn, { runNow: false });
    await jobs.runNow("flaky");
    await jobs.runNow("flaky");
    await jobs.runNow("flaky");
    await jobs.stop();
    expect(runs).toBe(3);
  });

  it("GIVEN a run in progress WHEN the job is asked to run again THEN it joins that run instead of overlapping it", async () => {
    const jobs = new Jobs(silentLogger());
    let runs = 0;
    let release: () => void = () => {};
    jobs.every(
      "slow",
      60_000,
      async () => {
        runs += 1;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { runNow: false },
    );
    const first = jobs.runNow("slow");
    const second = jobs.runNow("slow");
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all([first, second]);
    expect(runs).toBe(1);
    await jobs.stop();
  });

  it("GIVEN a run in progress WHEN the jobs stop THEN the run is signalled to stop and waited for", async () => {
    const jobs = new Jobs(silentLogger());
    let seen: AbortSignal | undefined;
    let finished = false;
    jobs.every(
      "steps",
      60_000,
      async (signal) => {
        seen = signal;
        // A run of many steps, each checking the signal, as the guild loops do.
        while (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 5));
        finished = true;
      },
      { runNow: false },
    );
    void jobs.runNow("steps");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen?.aborted).toBe(false);
    expect(await jobs.stop(10_000)).toBe(true);
    expect(seen?.aborted).toBe(true);
    expect(finished).toBe(true);
  });

  it("GIVEN a run that never ends WHEN the jobs stop with a time limit THEN stop gives up after it and says so", async () => {
    const jobs = new Jobs(silentLogger());
    jobs.every("stuck", 60_000, () => new Promise<void>(() => {}), { runNow: false });
    void jobs.runNow("stuck");
    const outcome = await Promise.race([
      jobs.stop(50),
      new Promise<string>((resolve) => setTimeout(() => resolve("still waiting"), 2_000)),
    ]);
    expect(outcome).toBe(false);
  });
});
