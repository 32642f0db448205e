/**
 * Pairing as plain functions over plain data: no store, no clock, no Discord.
 *
 * Quality of a backend↔frontend pair, in order (the order):
 *   0. hard constraint: the two were not paired with each other within the recency window;
 *   1. shared topic (both named the same topic);
 *   2. timezone overlap: the smaller distance between their UTC offsets at the match time (on the 24-hour
 *      circle, so UTC+14 and UTC−10, whose wall clocks agree, are 0 apart);
 *   3. longest wait (earlier request first).
 *
 * `rankPartners` serves the instant match of `/pair request`; `matchRound` serves `/pair round`.
 *
 * What `matchRound` guarantees:
 *   - COUNT: the number of pairs is the maximum possible under the recency constraint (a maximum bipartite
 *     matching; Hopcroft–Karp; checked against brute force in tests/pairing/match.test.ts);
 *   - QUALITY: the maximum matching is grown from a greedy seed taken in quality order (per topic, closest
 *     offsets first, longest wait first within a pair of offset groups; then everyone left, the same way).
 *     Augmenting paths never unpair anybody, so everyone the seed pairs is paired in the result, and the
 *     people left over are a subset of those the seed left over. When no recency conflict exists among
 *     the people waiting (the usual case), the seed is already maximum, the result IS the seed, and its
 *     number of shared-topic pairs is the largest any maximum matching has (also checked by brute force).
 *     With recency conflicts, only the pairs on augmenting paths differ from the greedy choice; no claim of
 *     global optimality over timezone distance is made (that would be a min-cost matching, O(n³)).
 *   - COST: O((n + f)·√n) for the augmentation (f = recent pairs among the people waiting; the allowed
 *     graph is complete minus those, so it is never materialised) plus O(n·d) for the seed (d = distinct
 *     UTC offsets, ~40): 10,000 waiting learners take tens of milliseconds.
 */
import { utcOffsetMinutes } from "../time.js";

export type Role = "backend" | "frontend";

export type Waiting = {
  readonly user: string;
  readonly role: Role;
  readonly topic: string | null;
  /** IANA time zone of the member. */
  readonly tz: string;
  /** When the request was made (ms). */
  readonly at: number;
};

/** A past pair (either order), for the recency constraint. */
export type PastPair = { readonly a: string; readonly b: string; readonly at: number };

export type MatchOptions = {
  readonly history: Iterable<PastPair>;
  readonly now: number;
  /** Two people paired less than this long before `now` are never paired again. */
  readonly recencyMs: number;
};

export type MatchedPair<T extends Waiting = Waiting> = { readonly backend: T; readonly frontend: T };

export type RoundResult<T extends Waiting = Waiting> = {
  readonly pairs: MatchedPair<T>[];
  readonly leftover: T[];
  /** Pairs from the greedy seed, before augmentation (diagnostics). */
  readonly seedPairs: number;
};

const MINUTES_PER_DAY = 1440;

export function complementOf(role: Role): Role {
  return role === "backend" ? "frontend" : "backend";
}

/** Distance between two UTC offsets (minutes) on the 24-hour circle: 0 … 720. */
export function tzDistance(offsetA: number, offsetB: number): number {
  const d = Math.abs(offsetA - offsetB) % MINUTES_PER_DAY;
  return Math.min(d, MINUTES_PER_DAY - d);
}

/** UTC offsets at `now`, computed once per distinct zone (luxon is not free at 10,000 calls). */
export function offsetsAt(now: number): (tz: string) => number {
  const cache = new Map<string, number>();
  return (tz) => {
    let offset = cache.get(tz);
    if (offset === undefined) {
      try {
        offset = utcOffsetMinutes(now, tz);
      } catch {
        offset = 0;
      }
      if (!Number.isFinite(offset)) offset = 0;
      cache.set(tz, offset);
    }
    return offset;
  };
}

/** user → the people they were paired with less than `recencyMs` before `now`. */
export function recentPartners(
  history: Iterable<PastPair>,
  now: number,
  recencyMs: number,
): Map<string, Set<string>> {
  const partners = new Map<string, Set<string>>();
  const add = (a: string, b: string) => {
    let set = partners.get(a);
    if (set === undefined) {
      set = new Set();
      partners.set(a, set);
    }
    set.add(b);
  };
  for (const pair of history) {
    if (now - pair.at >= recencyMs) continue;
    add(pair.a, pair.b);
    add(pair.b, pair.a);
  }
  return partners;
}

export function sharesTopic(a: Waiting, b: Waiting): boolean {
  return a.topic !== null && a.topic === b.topic;
}

/**
 * Instant match: the complementary waiting learners `requester` may be paired with, best first
 * (shared topic, then closest UTC offsets at `now`, then longest wait). Recent partners are left out.
 */
export function rankPartners<T extends Waiting>(
  requester: Waiting,
  waiting: readonly T[],
  options: MatchOptions,
): T[] {
  const want = complementOf(requester.role);
  const offsetOf = offsetsAt(options.now);
  const blocked = recentPartners(options.history, options.now, options.recencyMs).get(requester.user);
  const mine = offsetOf(requester.tz);
  const scored: Array<{ item: T; shared: number; distance: number }> = [];
  for (const item of waiting) {
    if (item.role !== want || item.user === requester.user || blocked?.has(item.user)) continue;
    scored.push({
      item,
      shared: sharesTopic(requester, item) ? 1 : 0,
      distance: tzDistance(mine, offsetOf(item.tz)),
    });
  }
  scored.sort(
    (x, y) =>
      y.shared - x.shared ||
      x.distance - y.distance ||
      x.item.at - y.item.at ||
      (x.item.user < y.item.user ? -1 : x.item.user > y.item.user ? 1 : 0),
  );
  return scored.map((entry) => entry.item);
}

/** Compares by request time, then user id, so every order below is deterministic. */
function byWait(a: Waiting, b: Waiting): number {
  return a.at - b.at || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0);
}

/**
 * `/pair round`: the largest number of backend↔frontend pairs that respect the recency window, grown
 * from a greedy seed in quality order (see the module comment for the exact guarantee).
 */
export function matchRound<T extends Waiting>(
  waiting: readonly T[],
  options: MatchOptions & {
    /** false: stop after the greedy seed (for tests and diagnostics). */
    readonly augment?: boolean;
  },
): RoundResult<T> {
  // One entry per user (the store keeps one open request per member; be defensive anyway).
  const seen = new Set<string>();
  const left: T[] = [];
  const right: T[] = [];
  for (const item of [...waiting].sort(byWait)) {
    if (seen.has(item.user)) continue;
    seen.add(item.user);
    (item.role === "backend" ? left : right).push(item);
  }
  const nL = left.length;
  const nR = right.length;
  const offsetOf = offsetsAt(options.now);
  const offL = Int32Array.from(left, (item) => offsetOf(item.tz));
  const offR = Int32Array.from(right, (item) => offsetOf(item.tz));

  // The allowed graph is complete minus recent pairs: keep only the (sparse) forbidden edges.
  const leftIndex = new Map(left.map((item, i) => [item.user, i]));
  const rightIndex = new Map(right.map((item, i) => [item.user, i]));
  const forbidden: Array<Set<number> | undefined> = new Array(nL);
  for (const [user, partners] of recentPartners(options.history, options.now, options.recencyMs)) {
    const l = leftIndex.get(user);
    if (l === undefined) continue;
    for (const partner of partners) {
      const r = rightIndex.get(partner);
      if (r === undefined) continue;
      let set = forbidden[l];
      if (set === undefined) {
        set = new Set();
        forbidden[l] = set;
      }
      set.add(r);
    }
  }
  const allowed = (l: number, r: number): boolean => !forbidden[l]?.has(r);

  const matchL = new Int32Array(nL).fill(-1);
  const matchR = new Int32Array(nR).fill(-1);

  // Greedy seed, stage 1: within each topic both sides named.
  const topicsL = groupBy(left, (item) => item.topic);
  const topicsR = groupBy(right, (item) => item.topic);
  const sharedTopics = [...topicsL.keys()]
    .filter((topic): topic is string => topic !== null && topicsR.has(topic))
    .sort();
  const linked = new LinkedGroups(nR);
  for (const topic of sharedTopics) {
    greedyByDistance(
      topicsL.get(topic) ?? [],
      topicsR.get(topic) ?? [],
      offL,
      offR,
      matchL,
      matchR,
      allowed,
      linked,
    );
  }
  // Stage 2: everybody still free, whatever their topic.
  const freeL: number[] = [];
  const freeR: number[] = [];
  for (let l = 0; l < nL; l++) if (matchL[l] === -1) freeL.push(l);
  for (let r = 0; r < nR; r++) if (matchR[r] === -1) freeR.push(r);
  greedyByDistance(freeL, freeR, offL, offR, matchL, matchR, allowed, linked);
  let seedPairs = 0;
  for (let l = 0; l < nL; l++) if (matchL[l] !== -1) seedPairs++;

  if (options.augment !== false) augmentToMaximum(nL, nR, matchL, matchR, allowed);

  const pairs: MatchedPair<T>[] = [];
  const leftover: T[] = [];
  for (let l = 0; l < nL; l++) {
    const r = matchL[l] ?? -1;
    const backend = left[l];
    if (backend === undefined) continue;
    const frontend = r === -1 ? undefined : right[r];
    if (frontend === undefined) leftover.push(backend);
    else pairs.push({ backend, frontend });
  }
  for (let r = 0; r < nR; r++) {
    const frontend = right[r];
    if (frontend !== undefined && matchR[r] === -1) leftover.push(frontend);
  }
  return { pairs, leftover, seedPairs };
}

/** Indices of `items` grouped by key, in the order of `items`. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, number[]> {
  const groups = new Map<K, number[]>();
  items.forEach((item, i) => {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [i]);
    else group.push(i);
  });
  return groups;
}

/**
 * Doubly linked lists over right-side indices with one sentinel per list, so a matched or visited vertex
 * leaves its list in O(1) and a scan never passes over it again.
 */
class LinkedGroups {
  next: Int32Array;
  prev: Int32Array;
  private sentinels = 0;

  constructor(private readonly size: number) {
    this.next = new Int32Array(size + 1);
    this.prev = new Int32Array(size + 1);
  }

  /** Forgets all lists and prepares room for `lists` sentinels (sentinel k is `size + k`). */
  reset(lists: number): void {
    this.sentinels = lists;
    if (this.next.length < this.size + lists) {
      this.next = new Int32Array(this.size + lists);
      this.prev = new Int32Array(this.size + lists);
    }
    for (let k = 0; k < lists; k++) {
      const s = this.size + k;
      this.next[s] = s;
      this.prev[s] = s;
    }
  }

  sentinel(list: number): number {
    if (list >= this.sentinels) throw new Error("no such list");
    return this.size + list;
  }

  append(list: number, node: number): void {
    const s = this.sentinel(list);
    const last = this.prev[s] ?? s;
    this.next[last] = node;
    this.prev[node] = last;
    this.next[node] = s;
    this.prev[s] = node;
  }

  remove(node: number): void {
    const p = this.prev[node] ?? node;
    const n = this.next[node] ?? node;
    this.next[p] = n;
    this.prev[n] = p;
  }

  isEmpty(list: number): boolean {
    const s = this.sentinel(list);
    return this.next[s] === s;
  }
}

/**
 * Greedy maximal matching between `ls` and `rs` (indices, each already in longest-wait order), closest
 * offsets first: people are grouped by UTC offset, group pairs are taken by increasing distance, and
 * within a group pair each backend (longest wait first) takes the longest-waiting allowed frontend.
 */
function greedyByDistance(
  ls: readonly number[],
  rs: readonly number[],
  offL: Int32Array,
  offR: Int32Array,
  matchL: Int32Array,
  matchR: Int32Array,
  allowed: (l: number, r: number) => boolean,
  linked: LinkedGroups,
): void {
  const freeL = ls.filter((l) => matchL[l] === -1);
  const groupsL = groupBy(freeL, (l) => offL[l] ?? 0);
  const freeR = rs.filter((r) => matchR[r] === -1);
  if (groupsL.size === 0 || freeR.length === 0) return;
  const lists = new Map<number, number>();
  for (const r of freeR) {
    const offset = offR[r] ?? 0;
    if (!lists.has(offset)) lists.set(offset, lists.size);
  }
  linked.reset(lists.size);
  for (const r of freeR) linked.append(lists.get(offR[r] ?? 0) ?? 0, r);

  const lMembers = [...groupsL].map(([offset, members]) => ({
    offset,
    members: members.map((i) => freeL[i] ?? -1),
  }));
  const combos: Array<{
    distance: number;
    lOffset: number;
    rOffset: number;
    members: number[];
    list: number;
  }> = [];
  for (const group of lMembers) {
    for (const [rOffset, list] of lists) {
      combos.push({
        distance: tzDistance(group.offset, rOffset),
        lOffset: group.offset,
        rOffset,
        members: group.members,
        list,
      });
    }
  }
  combos.sort((a, b) => a.distance - b.distance || a.lOffset - b.lOffset || a.rOffset - b.rOffset);
  for (const combo of combos) {
    if (linked.isEmpty(combo.list)) continue;
    const s = linked.sentinel(combo.list);
    for (const l of combo.members) {
      if (l < 0 || matchL[l] !== -1) continue;
      for (let r = linked.next[s] ?? s; r !== s; r = linked.next[r] ?? s) {
        if (!allowed(l, r)) continue;
        matchL[l] = r;
        matchR[r] = l;
        linked.remove(r);
        break;
      }
      if (linked.isEmpty(combo.list)) break;
    }
  }
}

const INF = 0x3fffffff;

/**
 * Hopcroft–Karp from the given (possibly empty) matching to a maximum one, on the complete bipartite graph
 * minus the pairs `allowed` refuses. The allowed graph is never built: BFS and DFS scan linked lists of
 * right vertices not yet visited in the phase and remove each vertex the first time an allowed edge
 * reaches it, so a phase costs O(nL + nR + forbidden edges) and there are O(√n) phases.
 * Returns the number of augmentations.
 */
export function augmentToMaximum(
  nL: number,
  nR: number,
  matchL: Int32Array,
  matchR: Int32Array,
  allowed: (l: number, r: number) => boolean,
): number {
  const distL = new Int32Array(nL);
  const layerR = new Int32Array(nR);
  const queue = new Int32Array(nL);
  const unvisited = new LinkedGroups(nR);
  const layers = new LinkedGroups(nR);
  const pathL = new Int32Array(nL + 1);
  const pathR = new Int32Array(nL + 1);
  const cursor = new Int32Array(nL + 1);
  let augmentations = 0;

  for (;;) {
    // BFS from every free backend, layer by layer.
    let tail = 0;
    for (let l = 0; l < nL; l++) {
      if (matchL[l] === -1) {
        distL[l] = 0;
        queue[tail++] = l;
      } else {
        distL[l] = INF;
      }
    }
    if (tail === 0) break;
    unvisited.reset(1);
    for (let r = 0; r < nR; r++) unvisited.append(0, r);
    layerR.fill(-1);
    const all = unvisited.sentinel(0);
    let limit = INF;
    for (let head = 0; head < tail; head++) {
      const u = queue[head] ?? 0;
      const du = distL[u] ?? INF;
      if (du > limit) break;
      for (let r = unvisited.next[all] ?? all; r !== all; ) {
        const following = unvisited.next[r] ?? all;
        if (allowed(u, r)) {
          unvisited.remove(r);
          layerR[r] = du;
          const w = matchR[r] ?? -1;
          if (w === -1) {
            if (du < limit) limit = du;
          } else if (distL[w] === INF) {
            distL[w] = du + 1;
            queue[tail++] = w;
          }
        }
        r = following;
      }
    }
    if (limit === INF) break;

    // The layered graph: right vertices of layer k (only free ones in the last layer).
    layers.reset(limit + 1);
    for (let r = 0; r < nR; r++) {
      const k = layerR[r] ?? -1;
      if (k < 0 || k > limit) continue;
      if (k === limit && matchR[r] !== -1) continue;
      if (k < limit && matchR[r] === -1) continue;
      layers.append(k, r);
    }

    // DFS (iterative) for vertex-disjoint shortest augmenting paths. A right vertex leaves its layer the
    // first time it is tried: either it ends up on a path or everything beyond it is a dead end.
    for (let u0 = 0; u0 < nL; u0++) {
      if (matchL[u0] !== -1 || distL[u0] !== 0) continue;
      let depth = 0;
      pathL[0] = u0;
      cursor[0] = layers.next[layers.sentinel(0)] ?? 0;
      let found = false;
      while (depth >= 0 && !found) {
        const x = pathL[depth] ?? 0;
        const s = layers.sentinel(depth);
        let r = cursor[depth] ?? s;
        let descended = false;
        while (r !== s) {
          const following = layers.next[r] ?? s;
          if (allowed(x, r)) {
            layers.remove(r);
            cursor[depth] = following;
            const w = matchR[r] ?? -1;
            if (w === -1) {
              pathR[depth] = r;
              for (let i = 0; i <= depth; i++) {
                const pl = pathL[i] ?? 0;
                const pr = pathR[i] ?? 0;
                matchL[pl] = pr;
                matchR[pr] = pl;
              }
              augmentations++;
              found = true;
              break;
            }
            if (depth < limit && distL[w] === depth + 1) {
              pathR[depth] = r;
              depth++;
              pathL[depth] = w;
              cursor[depth] = layers.next[layers.sentinel(depth)] ?? 0;
              descended = true;
              break;
            }
          }
          r = following;
        }
        if (!found && !descended) {
          // x is a dead end for this phase.
          distL[x] = INF;
          depth--;
        }
      }
    }
  }
  return augmentations;
}
