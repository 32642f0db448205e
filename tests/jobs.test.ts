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
});
