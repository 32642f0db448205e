import { describe, expect, it } from "vitest";
import {
  augmentToMaximum,
  type MatchedPair,
  matchRound,
  type PastPair,
  rankPartners,
  recentPartners,
  sharesTopic,
  tzDistance,
  type Waiting,
} from "../../src/pairing/match.js";
import { seededRandom } from "../support/discord-http.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 15, 12); // January: no DST in the northern hemisphere
const WINDOW = 28 * DAY;

function person(
  user: string,
  role: Waiting["role"],
  extra: Partial<Omit<Waiting, "user" | "role">> = {},
): Waiting {
  return { user, role, topic: null, tz: "UTC", at: NOW - DAY, ...extra };
}

const opts = (history: PastPair[] = []) => ({ history, now: NOW, recencyMs: WINDOW });

/** Every matching by exhaustive search: the largest size, and the most shared topics at that size. */
function bruteForce(waiting: Waiting[], history: PastPair[]): { size: number; topics: number } {
  const left = waiting.filter((w) => w.role === "backend");
  const right = waiting.filter((w) => w.role === "frontend");
  const recent = recentPartners(history, NOW, WINDOW);
  const used = new Array<boolean>(right.length).fill(false);
  let best = { size: 0, topics: 0 };
  const visit = (i: number, size: number, topics: number) => {
    if (i === left.length) {
      if (size > best.size || (size === best.size && topics > best.topics)) best = { size, topics };
      return;
    }
    const b = left[i] as Waiting;
    visit(i + 1, size, topics);
    right.forEach((f, j) => {
      if (used[j] || recent.get(b.user)?.has(f.user)) return;
      used[j] = true;
      visit(i + 1, size + 1, topics + (sharesTopic(b, f) ? 1 : 0));
      used[j] = false;
    });
  };
  visit(0, 0, 0);
  return best;
}

function checkValid(
  waiting: Waiting[],
  history: PastPair[],
  pairs: MatchedPair[],
  leftover: Waiting[],
): void {
  const recent = recentPartners(history, NOW, WINDOW);
  const users = pairs.flatMap((p) => [p.backend.user, p.frontend.user]);
  expect(new Set(users).size).toBe(users.length);
  for (const pair of pairs) {
    expect(pair.backend.role).toBe("backend");
    expect(pair.frontend.role).toBe("frontend");
    expect(recent.get(pair.backend.user)?.has(pair.frontend.user) ?? false).toBe(false);
  }
  expect([...users, ...leftover.map((w) => w.user)].sort()).toEqual(waiting.map((w) => w.user).sort());
}

const TOPICS = ["Django", "Docker", "GraphQL"];
const ZONES = [
  "UTC",
  "Africa/Lagos",
  "Europe/London",
  "America/New_York",
  "Asia/Kolkata",
  "Pacific/Kiritimati",
];

function randomInstance(rand: () => number, maxPerSide: number, conflictRate: number) {
  const nb = Math.floor(rand() * (maxPerSide + 1));
  const nf = Math.floor(rand() * (maxPerSide + 1));
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)] as T;
  const waiting: Waiting[] = [];
  for (let i = 0; i < nb; i++)
    waiting.push(
      person(`b${i}`, "backend", {
        topic: rand() < 0.6 ? pick(TOPICS) : null,
        tz: pick(ZONES),
        at: NOW - Math.floor(rand() * 5) * DAY,
      }),
    );
  for (let i = 0; i < nf; i++)
    waiting.push(
      person(`f${i}`, "frontend", {
        topic: rand() < 0.6 ? pick(TOPICS) : null,
        tz: pick(ZONES),
        at: NOW - Math.floor(rand() * 5) * DAY,
      }),
    );
  const history: PastPair[] = [];
  for (let i = 0; i < nb; i++)
    for (let j = 0; j < nf; j++)
      if (rand() < conflictRate)
        history.push({ a: `b${i}`, b: `f${j}`, at: NOW - Math.floor(rand() * 40) * DAY });
  return { waiting, history };
}

describe("tzDistance", () => {
  it("GIVEN offsets on both sides of the date line WHEN measured THEN the distance wraps around the day", () => {
    expect(tzDistance(60, 0)).toBe(60);
    expect(tzDistance(-300, 330)).toBe(630);
    expect(tzDistance(14 * 60, -10 * 60)).toBe(0);
    expect(tzDistance(12 * 60, -11 * 60)).toBe(60);
  });
});

describe("rankPartners (instant match)", () => {
  it("GIVEN a candidate paired with the requester 27 days ago and one 29 days ago THEN only the older pair is eligible", () => {
    const me = person("me", "backend");
    const waiting = [person("recent", "frontend", { at: NOW - 9 * DAY }), person("old", "frontend")];
    const history = [
      { a: "recent", b: "me", at: NOW - 27 * DAY },
      { a: "me", b: "old", at: NOW - 29 * DAY },
    ];
    expect(rankPartners(me, waiting, opts(history)).map((w) => w.user)).toEqual(["old"]);
  });

  it("GIVEN candidates of the same role and the requester themself THEN none is offered", () => {
    const me = person("me", "frontend");
    const waiting = [person("me", "backend"), person("x", "frontend"), person("y", "backend")];
    expect(rankPartners(me, waiting, opts()).map((w) => w.user)).toEqual(["y"]);
  });

  it("GIVEN a shared topic far away and a close time zone without it THEN the shared topic wins", () => {
    const me = person("me", "backend", { topic: "Django", tz: "Africa/Lagos" });
    const waiting = [
      person("close", "frontend", { tz: "Africa/Lagos", at: NOW - 5 * DAY }),
      person("topic", "frontend", { topic: "Django", tz: "America/Los_Angeles" }),
    ];
    expect(rankPartners(me, waiting, opts()).map((w) => w.user)).toEqual(["topic", "close"]);
  });

  it("GIVEN no shared topic THEN the closest UTC offset at the match time wins over a longer wait", () => {
    const me = person("me", "frontend", { tz: "Europe/Paris" }); // UTC+1 in January
    const waiting = [
      person("ny", "backend", { tz: "America/New_York", at: NOW - 6 * DAY }), // UTC-5
      person("lagos", "backend", { tz: "Africa/Lagos" }), // UTC+1
      person("london", "backend", { tz: "Europe/London", at: NOW - 3 * DAY }), // UTC+0
    ];
    expect(rankPartners(me, waiting, opts()).map((w) => w.user)).toEqual(["lagos", "london", "ny"]);
  });

  it("GIVEN a DST change WHEN the match time moves THEN the offsets of that instant are used", () => {
    const me = person("me", "frontend", { tz: "Africa/Lagos" }); // UTC+1 all year
    const waiting = [
      person("london", "backend", { tz: "Europe/London", at: NOW - 3 * DAY }),
      person("paris", "backend", { tz: "Europe/Paris" }),
    ];
    const july = Date.UTC(2026, 6, 15, 12); // London UTC+1, Paris UTC+2
    expect(rankPartners(me, waiting, { history: [], now: july, recencyMs: WINDOW })[0]?.user).toBe("london");
    expect(rankPartners(me, waiting, opts())[0]?.user).toBe("paris"); // January: Paris UTC+1, London UTC+0
  });

  it("GIVEN equal topic and time zone THEN the longest-waiting candidate comes first", () => {
    const me = person("me", "backend");
    const waiting = [
      person("new", "frontend", { at: NOW - 1 * DAY }),
      person("old", "frontend", { at: NOW - 4 * DAY }),
    ];
    expect(rankPartners(me, waiting, opts()).map((w) => w.user)).toEqual(["old", "new"]);
  });
});

describe("matchRound", () => {
  it("GIVEN odd and unequal sides THEN min(backends, frontends) pairs form and the rest are left over", () => {
    const waiting = [
      ...["b1", "b2", "b3", "b4", "b5"].map((u) => person(u, "backend")),
      ...["f1", "f2"].map((u) => person(u, "frontend")),
    ];
    const result = matchRound(waiting, opts());
    expect(result.pairs).toHaveLength(2);
    expect(result.leftover.map((w) => w.user).sort()).toEqual(["b3", "b4", "b5"]);
    checkValid(waiting, [], result.pairs, result.leftover);
  });

  it("GIVEN more backends than frontends and equal quality THEN the longest-waiting backends are paired", () => {
    const waiting = [
      person("b-new", "backend", { at: NOW - 1 * DAY }),
      person("b-old", "backend", { at: NOW - 5 * DAY }),
      person("f", "frontend"),
    ];
    const result = matchRound(waiting, opts());
    expect(result.pairs.map((p) => p.backend.user)).toEqual(["b-old"]);
  });

  it("GIVEN only one side waiting THEN no pair forms and everybody is left over", () => {
    const waiting = ["a", "b", "c"].map((u) => person(u, "frontend"));
    const result = matchRound(waiting, opts());
    expect(result.pairs).toEqual([]);
    expect(result.leftover).toHaveLength(3);
  });

  it("GIVEN a greedy topic pair that blocks a second pair THEN augmentation still finds two pairs", () => {
    // The seed pairs b1–f1 (shared topic). b2 may only pair with f1, f2 only with b1 (recency).
    const waiting = [
      person("b1", "backend", { topic: "Django" }),
      person("f1", "frontend", { topic: "Django" }),
      person("b2", "backend"),
      person("f2", "frontend"),
    ];
    const history = [{ a: "b2", b: "f2", at: NOW - DAY }];
    const result = matchRound(waiting, opts(history));
    expect(result.seedPairs).toBe(1);
    expect(result.pairs).toHaveLength(2);
    checkValid(waiting, history, result.pairs, result.leftover);
  });

  it("GIVEN everyone was recently paired with everyone THEN nobody is paired", () => {
    const waiting = [person("b1", "backend"), person("f1", "frontend"), person("f2", "frontend")];
    const history = [
      { a: "b1", b: "f1", at: NOW - 2 * DAY },
      { a: "f2", b: "b1", at: NOW - 20 * DAY },
    ];
    expect(matchRound(waiting, opts(history)).pairs).toEqual([]);
  });

  it("GIVEN topics on both sides THEN people sharing a topic are paired together", () => {
    const waiting = [
      person("b-django", "backend", { topic: "Django" }),
      person("b-docker", "backend", { topic: "Docker" }),
      person("f-docker", "frontend", { topic: "Docker", at: NOW - 3 * DAY }),
      person("f-django", "frontend", { topic: "Django" }),
    ];
    const pairs = matchRound(waiting, opts()).pairs.map((p) => `${p.backend.user}+${p.frontend.user}`);
    expect(pairs.sort()).toEqual(["b-django+f-django", "b-docker+f-docker"]);
  });

  it("GIVEN two time zone clusters THEN each backend is paired inside its cluster", () => {
    const waiting = [
      person("b-lagos", "backend", { tz: "Africa/Lagos" }),
      person("b-ny", "backend", { tz: "America/New_York" }),
      person("f-ny", "frontend", { tz: "America/Toronto", at: NOW - 3 * DAY }),
      person("f-lagos", "frontend", { tz: "Europe/Paris" }),
    ];
    const pairs = matchRound(waiting, opts()).pairs.map((p) => `${p.backend.user}+${p.frontend.user}`);
    expect(pairs.sort()).toEqual(["b-lagos+f-lagos", "b-ny+f-ny"]);
  });

  it("GIVEN the same user twice THEN they are considered once", () => {
    const waiting = [person("b", "backend"), person("b", "backend"), person("f", "frontend")];
    const result = matchRound(waiting, opts());
    expect(result.pairs).toHaveLength(1);
    expect(result.leftover).toEqual([]);
  });

  it("GIVEN 2,000 small random instances WHEN compared with brute force THEN the pair count is always maximum", () => {
    const rand = seededRandom(20260115);
    let augmented = 0;
    for (let trial = 0; trial < 2000; trial++) {
      const { waiting, history } = randomInstance(rand, 6, trial % 2 === 0 ? 0.5 : 0.2);
      const result = matchRound(waiting, opts(history));
      checkValid(waiting, history, result.pairs, result.leftover);
      expect(result.pairs.length, `trial ${trial}`).toBe(bruteForce(waiting, history).size);
      if (result.pairs.length > result.seedPairs) augmented++;
    }
    // The instances must actually exercise the augmentation, or the comparison proves little.
    expect(augmented).toBeGreaterThan(50);
  });

  it("GIVEN random instances without recency conflicts THEN the number of shared-topic pairs is the brute-force maximum", () => {
    const rand = seededRandom(7);
    for (let trial = 0; trial < 1000; trial++) {
      const { waiting } = randomInstance(rand, 6, 0);
      const result = matchRound(waiting, opts());
      const best = bruteForce(waiting, []);
      expect(result.pairs.length).toBe(best.size);
      expect(result.pairs.filter((p) => sharesTopic(p.backend, p.frontend)).length, `trial ${trial}`).toBe(
        best.topics,
      );
    }
  });

  it("GIVEN random instances THEN everyone the greedy seed pairs is still paired after augmentation", () => {
    const rand = seededRandom(99);
    let grew = 0;
    for (let trial = 0; trial < 500; trial++) {
      const { waiting, history } = randomInstance(rand, 8, 0.4);
      const seed = matchRound(waiting, { ...opts(history), augment: false });
      const full = matchRound(waiting, opts(history));
      const paired = new Set(full.pairs.flatMap((p) => [p.backend.user, p.frontend.user]));
      for (const p of seed.pairs) {
        expect(paired.has(p.backend.user) && paired.has(p.frontend.user), `trial ${trial}`).toBe(true);
      }
      if (full.pairs.length > seed.pairs.length) grew++;
    }
    expect(grew).toBeGreaterThan(10);
  });

  it("GIVEN 10,000 waiting learners with recency conflicts THEN every possible pair forms", () => {
    const rand = seededRandom(1);
    const waiting: Waiting[] = [];
    for (let i = 0; i < 5000; i++) {
      waiting.push(
        person(`b${i}`, "backend", {
          topic: rand() < 0.5 ? (TOPICS[i % 3] as string) : null,
          tz: ZONES[i % ZONES.length] as string,
        }),
      );
      waiting.push(person(`f${i}`, "frontend", { tz: ZONES[(i * 7) % ZONES.length] as string }));
    }
    const history: PastPair[] = [];
    for (let i = 0; i < 5000; i++) history.push({ a: `b${i}`, b: `f${(i * 13) % 5000}`, at: NOW - DAY });
    const result = matchRound(waiting, opts(history));
    expect(result.pairs).toHaveLength(5000);
    checkValid(waiting, history, result.pairs, result.leftover);
  });
});

describe("augmentToMaximum", () => {
  it("GIVEN a complete graph minus a perfect matching's worth of conflicts THEN it still finds a perfect matching", () => {
    const n = 50;
    const matchL = new Int32Array(n).fill(-1);
    const matchR = new Int32Array(n).fill(-1);
    // Start from a seed that is bad on purpose: only the diagonal, which is then forbidden.
    const augmentations = augmentToMaximum(n, n, matchL, matchR, (l, r) => l !== r);
    expect(augmentations).toBe(n);
    for (let l = 0; l < n; l++) {
      expect(matchL[l]).not.toBe(l);
      expect(matchR[matchL[l] ?? -1]).toBe(l);
    }
  });

  it("GIVEN a long chain that needs a long augmenting path THEN it is found without recursion limits", () => {
    // Left i may pair with right i and right i+1; the seed pairs left i with right i+1 for all i < n-1,
    // leaving left n-1 … only right n-1 free: the augmenting path walks the whole chain.
    const n = 3000;
    const matchL = new Int32Array(n).fill(-1);
    const matchR = new Int32Array(n).fill(-1);
    for (let i = 0; i < n - 1; i++) {
      matchL[i + 1] = i;
      matchR[i] = i + 1;
    }
    // left 0 is free; right n-1 is free; edges: left i → right i-1 (seeded) and right i.
    const allowed = (l: number, r: number) => r === l || r === l - 1;
    expect(augmentToMaximum(n, n, matchL, matchR, allowed)).toBe(1);
    for (let l = 0; l < n; l++) expect(matchL[l]).toBe(l);
  });
});
