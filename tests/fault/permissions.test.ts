// Fault suite, part 5: permissions. Discord hides admin commands from members by their default member
// permission, but a server can override that (Integrations settings), so an interaction from a member
// without Manage Server can arrive anyway. Every admin command must refuse it at run time: an ephemeral
// refusal naming the permission, no change in the store and no REST call besides the reply. The same
// invocation by an admin is not refused (the control that shows the check is about the permission).
import { PermissionFlagsBits } from "discord.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PERMISSIONS, MEMBER_PERMISSIONS } from "../support/discord-fixtures.js";
import { FIXTURE_IDS, type InteractInput } from "../support/discord-server.js";
import { diffDumps, dumpStore, type FaultBot, startFaultBot } from "../support/fault-bot.js";
import { auditRequests, describeRequests } from "../support/fault-checks.js";
import { type FuzzWorld, type Leaf, leavesOf, plainOptions } from "../support/fault-fuzz.js";
import { addMembers } from "../support/fault-load.js";
import { faultSeed, reportFigures } from "../support/fault-random.js";

const NEXUS = FIXTURE_IDS.nexusChannelId;
const GENERAL = FIXTURE_IDS.generalChannelId;
/** The admin subcommands the issues define (a public contract); the registered commands must mark them all. */
const KNOWN_ADMIN = [
  "/challenge add",
  "/challenge post",
  "/challenge settings",
  "/challenge skip",
  "/nexus setup",
  "/pair round",
  "/pair settings",
  "/pair stats",
];
const REFUSAL = /You need the \*\*Manage Server\*\* permission/;

/** Members without Manage Server, as Discord would describe them in the interaction. */
const NOT_ADMIN: Array<{ who: string; permissions: bigint | undefined }> = [
  { who: "ordinary member", permissions: undefined },
  { who: "member with no permission at all", permissions: 0n },
  {
    who: "member with everything but Manage Server and Administrator",
    permissions: ALL_PERMISSIONS & ~PermissionFlagsBits.ManageGuild & ~PermissionFlagsBits.Administrator,
  },
  { who: "member with the default @everyone permissions", permissions: MEMBER_PERMISSIONS },
];

describe("fault suite: admin commands refuse members without the permission at run time", () => {
  const seed = faultSeed() + 5;
  let t: FaultBot;
  let world: FuzzWorld;
  let users: string[];

  beforeAll(async () => {
    t = await startFaultBot();
    users = addMembers(t.server, 6, "member");
    // A little state for the admin commands to act on: a pairing queue and a posted challenge.
    for (const [i, user] of users.slice(0, 2).entries()) {
      await t.server
        .interact({
          user,
          commandName: "pair",
          subcommand: "request",
          options: { role: i === 0 ? "backend" : "backend" },
        })
        .reply();
    }
    await t.settled();
    world = {
      guildId: t.server.guildId,
      members: users,
      moderatorId: FIXTURE_IDS.moderatorId,
      ownerId: FIXTURE_IDS.ownerId,
      botId: t.server.botUser.id,
      outsiderId: FIXTURE_IDS.ownerId,
      textChannels: [GENERAL, NEXUS],
      mentionableRoleId: FIXTURE_IDS.learnerRoleId,
      entryIds: [1],
      questionNumbers: [1],
      answerIds: ["1-1"],
    };
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
  });

  const inputFor = (leaf: Leaf): InteractInput => ({
    commandName: leaf.command,
    ...(leaf.group ? { group: leaf.group } : {}),
    ...(leaf.subcommand ? { subcommand: leaf.subcommand } : {}),
    options: plainOptions(leaf, world),
  });

  it("GIVEN every admin command WHEN members without Manage Server invoke it (default permission bypassed) THEN each is refused ephemerally with nothing changed, while an admin is not refused", async () => {
    const commands = t.server.commands();
    const leaves = leavesOf(commands);
    const admin = leaves.filter((leaf) => leaf.admin);
    const withDefault = commands.filter(
      (c) => c.default_member_permissions !== null && c.default_member_permissions !== undefined,
    );
    expect(admin.map((leaf) => leaf.path).sort()).toEqual(expect.arrayContaining(KNOWN_ADMIN));

    const problems: string[] = [];
    let refusals = 0;
    let invocations = 0;
    for (const leaf of admin) {
      for (const [n, invoker] of NOT_ADMIN.entries()) {
        const before = await dumpStore(t.store);
        const firstRequest = t.server.requests.length;
        const input: InteractInput = {
          ...inputFor(leaf),
          user: users[(n % (users.length - 2)) + 2] ?? "",
          ...(invoker.permissions === undefined ? {} : { permissions: invoker.permissions }),
        };
        invocations++;
        const reply = await t.server.interact(input).reply();
        await t.settled();
        const requests = t.server.requests.slice(firstRequest);
        const changed = diffDumps(before, await dumpStore(t.store));
        const label = `${leaf.path} by ${invoker.who}`;
        if (!REFUSAL.test(reply.content))
          problems.push(`${label}: not refused: ${reply.content.slice(0, 200)}`);
        else refusals++;
        if (!reply.ephemeral) problems.push(`${label}: the refusal is not ephemeral`);
        if (changed.length > 0) problems.push(`${label}: the store changed: ${changed.join(", ")}`);
        const other = requests.filter((r) => !r.interactionCallback);
        if (other.length > 0)
          problems.push(
            `${label}: REST calls besides the reply: ${other.map((r) => `${r.method} ${r.route}`).join(", ")}`,
          );
        const audit = auditRequests(requests);
        problems.push(
          ...describeRequests([...audit.invalid, ...audit.unintendedPings]).map((d) => `${label}: ${d}`),
        );
      }
    }
    // The control: an admin with the same options is not refused for the permission.
    const controls: string[] = [];
    for (const leaf of admin) {
      const reply = await t.server.interact({ ...inputFor(leaf), admin: true }).reply({ timeoutMs: 20_000 });
      await t.settled();
      if (REFUSAL.test(reply.content)) controls.push(`${leaf.path}: an admin was refused`);
    }

    reportFigures("permissions", {
      seed,
      admin_commands: admin.length,
      commands_with_default_member_permissions: withDefault.length,
      invocations_without_permission: invocations,
      refusals,
      admin_controls_allowed: admin.length - controls.length,
    });
    expect(problems).toEqual([]);
    expect(controls).toEqual([]);
    expect(refusals).toBe(admin.length * NOT_ADMIN.length);
  }, 90_000);

  it("GIVEN an answer WHEN a member who is neither the asker nor has Manage Threads accepts it THEN it is refused and nothing changes", async () => {
    const [asker, helper, stranger] = users;
    const asked = await t.server
      .interact({ user: asker, commandName: "ask", options: { title: "Who may accept this answer here?" } })
      .reply();
    const q = /\*\*Q(\d+)\*\*/.exec(asked.content)?.[1] ?? "1";
    await t.server
      .interact({
        user: helper,
        commandName: "answer",
        options: { question: { type: 4, value: Number(q) }, text: "Only the asker or a moderator." },
      })
      .reply();
    await t.settled();
    const before = await dumpStore(t.store);
    const firstRequest = t.server.requests.length;
    const reply = await t.server
      .interact({
        user: stranger,
        permissions:
          ALL_PERMISSIONS & ~PermissionFlagsBits.ManageThreads & ~PermissionFlagsBits.Administrator,
        commandName: "accept",
        options: { answer: `${q}-1` },
      })
      .reply();
    await t.settled();
    const changed = diffDumps(before, await dumpStore(t.store));
    const other = t.server.requests.slice(firstRequest).filter((r) => !r.interactionCallback);
    reportFigures("permissions", { accept_by_stranger_refused: reply.ephemeral && changed.length === 0 });
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/asker|Manage Threads/i);
    expect(changed).toEqual([]);
    expect(other).toEqual([]);
  }, 30_000);
});
