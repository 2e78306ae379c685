import { connect } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';

/** Every row of every table of a database, as text. */
export async function dumpDatabase(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const parts: string[] = [];
    for (const { table_name } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
      parts.push(...rows.map((r) => `${table_name}: ${r.row}`));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

/** Every message stored in every JetStream stream of a NATS server, as text. */
export async function dumpJetStream(natsUrl: string): Promise<string> {
  const connection = await connect({ servers: natsUrl });
  try {
    const manager = await jetstreamManager(connection);
    const js = jetstream(connection);
    const parts: string[] = [];
    for await (const stream of manager.streams.list()) {
      if (stream.state.messages === 0) continue;
      const consumer = await js.consumers.get(stream.config.name, { deliver_policy: DeliverPolicy.All });
      for (let seen = 0; seen < stream.state.messages; seen += 1) {
        const message = await consumer.next({ expires: 2_000 });
        if (!message) break;
        parts.push(
          `${message.subject} ${message.string()} ${JSON.stringify(message.headers ? Object.fromEntries([...message.headers.keys()].map((k) => [k, message.headers?.get(k)])) : {})}`,
        );
      }
      await consumer.delete();
    }
    return parts.join('\n');
  } finally {
    await connection.close();
  }
}

/** The secrets found in a haystack (none is the wanted answer). */
export function findSecrets(haystack: string, secrets: string[]): string[] {
  return secrets.filter((secret) => haystack.includes(secret));
}

/** Every NATS message (core and JetStream) published while `act` runs, as text. */
export async function natsTrafficDuring(natsUrl: string, act: () => Promise<void>): Promise<string> {
  const connection = await connect({ servers: natsUrl });
  const seen: string[] = [];
  const subscription = connection.subscribe('>', {
    callback: (_error, message) => {
      seen.push(`${message.subject} ${message.string()}`);
    },
  });
  await connection.flush();
  try {
    await act();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await connection.flush();
  } finally {
    subscription.unsubscribe();
    await connection.close();
  }
  return seen.join('\n');
}
