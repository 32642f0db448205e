// The bench's data: members, journal texts and search queries, and a seeded Nexus database (a guild with
// a few thousand journal entries and a few hundred questions) built once and copied for every round.
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../src/clock.js";
import { setMemberTimezone } from "../src/guild/members.js";
import { logEntry } from "../src/journal/entries.js";
import { silentLogger } from "../src/log.js";
import { askQuestion } from "../src/questions/questions.js";
import { openStore } from "../src/store/open.js";
import { TOPICS } from "../src/topics.js";
import { log } from "./lib.js";

export const JOURNAL_ENTRIES = 3_000;
export const QUESTIONS = 400;

/** A deterministic member id (18 digits, like a snowflake). */
export function userId(i: number): string {
  return String(300_000_000_000_000_000n + BigInt(i));
}

export function userSpec(i: number): { id: string; username: string } {
  return { id: userId(i), username: `learner${i}` };
}

export const ZONES = [
  "Africa/Lagos",
  "Africa/Nairobi",
  "Africa/Cairo",
  "Europe/London",
  "Europe/Berlin",
  "America/New_York",
  "America/Sao_Paulo",
  "Asia/Kolkata",
  "Asia/Tokyo",
  "Australia/Sydney",
  "UTC",
];

const FACTS = [
  "select_related and prefetch_related remove the N+1 queries from the Django ORM",
  "Redis cache invalidation is easier with versioned keys than with deletes",
  "JWT refresh tokens should rotate and the old one must be revoked",
  "docker compose volumes keep the Postgres data between container restarts",
  "Celery retry with exponential backoff stops a flaky API from flooding the queue",
  "a Postgres partial index makes the open orders query fast again",
  "GraphQL dataloader batches the resolvers so the N+1 problem goes away",
  "async views in Django need an async database driver to actually help",
  "pytest fixtures with scope session speed up the database tests a lot",
  "GitHub Actions cache for pip cuts the CI run from four minutes to one",
  "DRF serializers validate nested writes only when create is overridden",
  "rate limiting with a token bucket in Redis protects the login endpoint",
  "OAuth2 authorization code flow with PKCE is the safe choice for SPAs",
  "database migrations that add a column with a default lock the table in old Postgres",
  "OpenAPI schema generation with drf-spectacular documents the API for the frontend team",
  "gunicorn workers times threads decides how many requests run at once",
  "idempotency keys make payment webhooks safe to retry",
  "EXPLAIN ANALYZE shows the sequential scan that the missing index causes",
  "CORS errors come from the browser, not from the Django server",
  "transaction.atomic with select_for_update prevents double booking",
  "RabbitMQ acknowledgements after the task finishes avoid losing jobs on a crash",
  "system design interviews reward clear trade-offs over buzzwords",
  "git rebase interactive cleans up the commits before the pull request",
  "linux file permissions explain why the container cannot write the media folder",
  "binary search on the answer solves the minimum capacity problem",
  "pagination with a cursor is stable while rows are being inserted",
  "webhooks need signature verification with a constant time comparison",
  "environment variables keep the secrets out of the repository",
  "health checks let the load balancer drop a broken instance",
  "background jobs scheduled with celery beat need a single scheduler instance",
];

const TAILS = [
  "Tried it on the project today.",
  "Took me a while to see why.",
  "Writing it down so I remember.",
  "The docs example finally made sense.",
  "Pair session with a frontend learner helped.",
  "Measured before and after.",
];

export const QUERIES = [
  "N+1 queries",
  "redis cache invalidation",
  "jwt refresh token",
  "docker volumes postgres",
  "celery retry backoff",
  "partial index",
  "graphql dataloader",
  "async django",
  "pytest fixtures",
  "github actions cache",
  "nested serializers",
  "rate limiting token bucket",
  "oauth2 pkce",
  "migration lock table",
  "openapi schema",
  "gunicorn workers threads",
  "idempotency webhooks",
  "explain analyze index",
  "cors",
  "select_for_update",
  "rabbitmq acknowledgements",
  "rebase pull request",
  "cursor pagination",
  "signature verification",
  "health checks load balancer",
];

export const QUESTION_TITLES = [
  "How do I stop N+1 queries in a DRF list view?",
  "When should I use Redis instead of the database cache?",
  "Where do I store the JWT on the frontend?",
  "Why does my Celery task run twice?",
  "How do I add an index without downtime?",
  "What is the difference between async and threads in Django?",
  "How should I structure docker compose for dev and prod?",
  "How do I test a view that calls an external API?",
];

export function journalText(i: number): string {
  return `${FACTS[i % FACTS.length]}. ${TAILS[i % TAILS.length]} (${i})`;
}

export function topicOf(i: number): string {
  return TOPICS[i % TOPICS.length] ?? "Python";
}

/**
 * Seeds `guildId` with JOURNAL_ENTRIES journal entries (by the first 300 members, over the last 60 days),
 * QUESTIONS open questions and a time zone for a third of the members, through the domain functions.
 * Built on tmpfs (the seed is not what is measured); `copySeed` puts a copy on the real disk.
 */
export async function seedDatabase(guildId: string, now: number): Promise<string> {
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "nexus-bench-seed-"));
  const file = join(dir, "seed.sqlite");
  const started = performance.now();
  const store = await openStore(`sqlite://${file}`, silentLogger());
  const clock = new ManualClock(now - 60 * 86_400_000);
  for (let i = 0; i < 400; i += 3)
    await setMemberTimezone(store, clock, guildId, userId(i), ZONES[i % ZONES.length] ?? "UTC");
  const step = Math.floor((60 * 86_400_000) / JOURNAL_ENTRIES);
  for (let i = 0; i < JOURNAL_ENTRIES; i++) {
    clock.advance(step);
    await logEntry(store, clock, guildId, {
      authorId: userId((i * 7) % 300),
      topic: topicOf(i),
      text: journalText(i),
      private: i % 20 === 0,
    });
    if (i % (JOURNAL_ENTRIES / QUESTIONS) === 0) {
      const n = i / (JOURNAL_ENTRIES / QUESTIONS);
      await askQuestion(store, clock, guildId, {
        authorId: userId((n * 11) % 300),
        title: `${QUESTION_TITLES[n % QUESTION_TITLES.length]} (#${n})`,
        details: journalText(n),
        topic: topicOf(n),
      });
    }
  }
  await store.close();
  log(
    `seeded ${JOURNAL_ENTRIES} journal entries and ${QUESTIONS} questions in ${fmtMs(performance.now() - started)}`,
  );
  return file;
}

/** Copies a seeded database (and its WAL, if any) to `target`. */
export function copySeed(seed: string, target: string): void {
  for (const suffix of ["", "-wal", "-shm"]) {
    if (existsSync(seed + suffix)) copyFileSync(seed + suffix, target + suffix);
  }
}

function fmtMs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
