// `node dist/apps/audit-service/src/replay.js events.ndjson` (or on stdin): runs the anomaly detector
// over NDJSON events, in file order, and prints the alerts it would raise as NDJSON, then a summary
// on stderr. Deterministic: the same input gives the same alerts, ids included. For tests, tuning
// thresholds, and as the detector benchmark. Failures showing only a key prefix are tied to the account
// whose key.created (or key.legacy_imported) in the input has that prefix, as the live detector does. An account's
// security_settings.changed sets its working hours from then on, and an alert.resolved resolves the alert (teaching
// the detector what a `legitimate` resolution teaches live), so an export of the audit log replays to its alerts.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ContractViolation, RESOLUTIONS, parseEventMessage } from '#contracts';
import { AlertBook } from './detector/alert-book';
import { Detector, type WorkingHours, detectorConfig } from './detector/detector';
import { type AccountSettings, lessonStateId, usableWorkingHours } from './detector/detector-runner';
import { PrefixOwners, attributeByPrefix } from './detector/prefix-attribution';

const USAGE = `Usage: node dist/apps/audit-service/src/replay.js [--config '{"burstPerIp":20}'] [events.ndjson | -]
Runs the anomaly detector over NDJSON events (one event, or a batch message, per line; - or no file: stdin) and
prints the alerts it would raise as NDJSON on stdout, then a summary on stderr.
`;

const isResolution = (value: unknown): value is (typeof RESOLUTIONS)[number] =>
  (RESOLUTIONS as readonly unknown[]).includes(value);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const configAt = args.indexOf('--config');
  const config = detectorConfig(configAt === -1 ? '' : (args.splice(configAt, 2)[1] ?? ''));
  const path = args[0];
  if (path?.startsWith('-') && path !== '-') throw new Error(`unknown option ${path}\n${USAGE}`);
  // Without a file, the events come on stdin: a terminal there means nothing was piped in.
  if ((!path || path === '-') && process.stdin.isTTY)
    throw new Error(`no events: give a file or pipe them in\n${USAGE}`);
  const input = path && path !== '-' ? createReadStream(path) : process.stdin;
  const workingHours = new Map<string, WorkingHours>();
  const detector = new Detector(config, undefined, (accountId) => workingHours.get(accountId) ?? null);
  const book = new AlertBook(config.cooldownMs);
  // Key births in the input tie later failures that show only a key prefix to their account, as live.
  const owners = new PrefixOwners();
  let events = 0;
  let malformed = 0;
  const started = process.hrtime.bigint();
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    if (line.trim() === '') continue;
    try {
      // A line is an event, or a batch of them as the gateway publishes key.used / auth.failed.
      for (const event of parseEventMessage(JSON.parse(line)).events) {
        events += 1;
        const accountId = event.meta.account_id;
        if (event.type === 'security_settings.changed' && accountId) {
          const hours = usableWorkingHours(event.data as unknown as AccountSettings);
          if (hours) workingHours.set(accountId, hours);
          else workingHours.delete(accountId);
          continue;
        }
        if (event.type === 'alert.resolved') {
          const { alert_id: alertId, resolution } = event.data as { alert_id?: string; resolution?: string };
          const resolved =
            typeof alertId === 'string' && isResolution(resolution)
              ? book.resolve(alertId, resolution, event.occurred_at)
              : undefined;
          if (resolved && resolution === 'legitimate')
            detector.learnLegitimate(
              resolved.rule,
              lessonStateId({ ...resolved, key_id: resolved.key_id ?? null }),
              resolved.evidence,
            );
          continue;
        }
        owners.learn(event);
        const [attributed] = attributeByPrefix([event], (prefix) => owners.ownerOf(prefix));
        for (const finding of detector.observe(attributed)) book.record(finding);
      }
    } catch (error) {
      if (!(error instanceof ContractViolation) && !(error instanceof SyntaxError)) throw error;
      malformed += 1;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const alert of book.alerts) process.stdout.write(`${JSON.stringify(alert)}\n`);
  process.stderr.write(
    `${events} events, ${malformed} malformed lines, ${book.alerts.length} alerts, ${seconds.toFixed(2)} s, ${Math.round(events / Math.max(seconds, 1e-9))} events/s\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`replay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
