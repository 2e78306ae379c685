import type { LoggerService } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { type LookupAddress, type LookupAllOptions, lookup } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { DataSource, EntityManager } from 'typeorm';
import { MonotonicUuidV7 } from '#common';
import { httpUrlProblem, isLinkLocalAddress, isLinkLocalUrl, isPrivateAddress, isSafeWebhookUrl } from '#contracts';
import type { Alert } from './alert-book';

/** Seconds to wait before attempt n+1 after attempt n failed; after the last, the delivery has failed. */
export const RETRY_DELAYS_S = [1, 5, 30, 120, 600];
const TIMEOUT_MS = 5_000;
/**
 * Attempts under way at once in one replica. Each waits for its own receiver only: a receiver that hangs
 * for the whole timeout holds one of these, not every other account's deliveries.
 */
const MAX_IN_FLIGHT = 20;
/**
 * A claimed delivery is not due for anyone else this long: well past one attempt (TIMEOUT_MS), so that
 * two replicas never post the same delivery; a replica that dies mid-attempt leaves it to another then.
 */
const CLAIM_LEASE_S = 60;

/** `X-VibeXP-Signature` (PRODUCT.md §9.2): the HMAC of the body alone. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * `X-VibeXP-Signature-Timestamped: t=<unix seconds>,sha256=<HMAC of "<t>.<body>">`, made for each attempt. The
 * body-only signature stays valid for a copy of the request forever; this one lets a receiver refuse a request
 * whose `t` is older than a few minutes, so that a captured delivery cannot be replayed later.
 */
export function timestampedSignature(secret: string, body: string, sentAt: Date): string {
  const t = Math.floor(sentAt.getTime() / 1000);
  return `t=${t},sha256=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/** Delivery ids that count up in the order deliveries are queued, also within one transaction (see claimNext). */
const deliveryIds = new MonotonicUuidV7();

/**
 * Queues the delivery of an alert to the account's webhook, in the transaction that raised it
 * (`alert.raised`) or raised its severity (`alert.escalated`: a burst followed by a success, a spike grown
 * tenfold, which a receiver paging on high alerts must hear about too).
 */
export async function queueWebhook(
  alert: Alert,
  manager: EntityManager,
  type: 'alert.raised' | 'alert.escalated' = 'alert.raised',
): Promise<void> {
  if (!alert.account_id) return;
  await manager.query(
    `INSERT INTO webhook_deliveries (id, account_id, alert_id, url, payload)
     SELECT $4, account_id, $2, webhook_url, $3 FROM security_settings WHERE account_id = $1 AND webhook_url IS NOT NULL`,
    [
      alert.account_id,
      alert.id,
      JSON.stringify({ type, alert: { ...alert, dedup_key: undefined } }),
      deliveryIds.next(),
    ],
  );
}

/** Resolves a host name to all its addresses (`dns.lookup` with `all: true`). */
export type ResolveHost = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** A delivery claimed for an attempt, with the account's webhook as it is now. */
interface ClaimedDelivery {
  id: string;
  account_id: string;
  /** Where the alert was to go when it was raised. */
  url: string;
  payload: unknown;
  attempts: number;
  webhook_url: string | null;
  webhook_secret: string | null;
  /** The secret a rotation replaced, while deliveries are still signed with it too; else null. */
  previous_webhook_secret: string | null;
}

/**
 * Delivers queued webhooks: a signed POST (`X-VibeXP-Signature: sha256=<HMAC of the body>`), 5 s
 * timeout, retried with back-off, every attempt recorded. The target's address is checked again at
 * delivery (a name may resolve to a private address) unless private targets are allowed. Every
 * audit-service replica runs one: each delivery is claimed (row lock, then a lease) before its attempt.
 */
export class WebhookDispatcher {
  private timer?: NodeJS.Timeout;
  /** The claiming of due deliveries in progress (one at a time per replica). */
  private claiming?: Promise<unknown>;
  private readonly inFlight = new Set<Promise<void>>();
  /** Accounts with an attempt under way here: one at a time each, so its deliveries arrive in order. */
  private readonly accountsInFlight = new Set<string>();
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: LoggerService,
    private readonly allowPrivateTargets: boolean,
    private readonly intervalMs = 500,
    /** How target names are resolved (tests put a name of their own on a private address). */
    private readonly resolveHost: ResolveHost = lookup,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.claimInBackground(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.claiming;
    await Promise.all(this.inFlight);
  }

  /** Starts what is due unless a claim is under way; after an attempt too, so an account's next need not wait. */
  private claimInBackground(): void {
    if (this.stopping || !this.timer) return;
    this.claiming ??= this.startDue()
      .catch((error: unknown) =>
        this.logger.warn({ msg: 'webhook delivery round failed', error: String(error) }, 'Webhooks'),
      )
      .finally(() => (this.claiming = undefined));
  }

  /** Claims due deliveries and waits for the attempts it started. */
  async deliverDue(): Promise<void> {
    await Promise.all(await this.startDue());
  }

  /**
   * Claims due deliveries while fewer than MAX_IN_FLIGHT attempts are under way, at most one per account,
   * and starts an attempt for each without waiting for it; returns them.
   */
  private async startDue(): Promise<Promise<void>[]> {
    const started: Promise<void>[] = [];
    while (this.inFlight.size < MAX_IN_FLIGHT && !this.stopping) {
      const delivery = await this.claimNext([...this.accountsInFlight]);
      if (!delivery) break;
      this.accountsInFlight.add(delivery.account_id);
      // A webhook removed or replaced (perhaps because it was compromised) gets nothing more, not even retries.
      const work: Promise<void> = (
        delivery.webhook_url !== delivery.url ? this.cancel(delivery.id) : this.attempt(delivery)
      )
        .catch((error: unknown) =>
          this.logger.warn({ msg: 'webhook delivery failed', delivery: delivery.id, error: String(error) }, 'Webhooks'),
        )
        .finally(() => {
          this.inFlight.delete(work);
          this.accountsInFlight.delete(delivery.account_id);
          this.claimInBackground();
        });
      this.inFlight.add(work);
      started.push(work);
    }
    return started;
  }

  /**
   * The next due delivery, claimed by this replica: skipped by the others while locked, then leased. Only an
   * account's oldest pending delivery is a candidate: while it waits for a retry, the account's later ones
   * wait behind it, so that a receiver gets an account's alerts in the order they were raised.
   */
  private async claimNext(busyAccounts: string[]): Promise<ClaimedDelivery | undefined> {
    const [claimed] = (await this.dataSource.query(
      `WITH due AS (
         SELECT d.id FROM webhook_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND d.account_id <> ALL($2::uuid[])
            AND NOT EXISTS (
              SELECT 1 FROM webhook_deliveries e
               WHERE e.account_id = d.account_id AND e.status = 'pending' AND (e.created_at, e.id) < (d.created_at, d.id))
          ORDER BY d.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $1)
           FROM due WHERE d.id = due.id
         RETURNING d.id, d.url, d.payload, d.attempts, d.account_id
       )
       SELECT c.id, c.account_id, c.url, c.payload, c.attempts, s.webhook_url, s.webhook_secret,
              CASE WHEN s.previous_secret_until > now() THEN s.previous_webhook_secret END AS previous_webhook_secret
         FROM claimed c LEFT JOIN security_settings s ON s.account_id = c.account_id`,
      [CLAIM_LEASE_S, busyAccounts],
    )) as ClaimedDelivery[];
    return claimed;
  }

  private async cancel(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE webhook_deliveries SET status = 'cancelled' WHERE id = $1`, [id]);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const attempt = delivery.attempts + 1;
    const body = JSON.stringify(delivery.payload);
    const started = Date.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const refusal =
        httpUrlProblem(delivery.url) ??
        (isLinkLocalUrl(delivery.url)
          ? 'it points at a link-local address'
          : !this.allowPrivateTargets && !isSafeWebhookUrl(delivery.url)
            ? 'it points at a private address'
            : undefined);
      if (refusal) throw new Error(`the webhook URL is refused: ${refusal}`);
      // Every webhook has a secret from when it is set (a migration made those of older rows): never sign with none.
      const secret = delivery.webhook_secret;
      if (!secret) throw new Error('the webhook has no signing secret');
      const sentAt = new Date();
      const previous = delivery.previous_webhook_secret;
      statusCode = await post(
        delivery.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': 'VibeXP-Webhooks/1',
          'x-vibexp-signature': signature(secret, body),
          'x-vibexp-signature-timestamped': timestampedSignature(secret, body, sentAt),
          // After a rotation, the same with the secret it replaced: a receiver not yet changed still verifies.
          ...(previous
            ? {
                'x-vibexp-signature-previous': signature(previous, body),
                'x-vibexp-signature-timestamped-previous': timestampedSignature(previous, body, sentAt),
              }
            : {}),
          'x-vibexp-delivery': delivery.id,
        },
        publicOnlyLookup(this.allowPrivateTargets, this.resolveHost),
      );
      // A redirect is not followed: it counts as a failed attempt like any answer other than 2xx.
      if (statusCode < 200 || statusCode > 299) error = `answered ${statusCode}`;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    const delivered = error === null;
    const exhausted = !delivered && attempt > RETRY_DELAYS_S.length;
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, now(), $3, $4, $5)`,
        [delivery.id, attempt, statusCode, error?.slice(0, 500) ?? null, Date.now() - started],
      );
      await manager.query(
        `UPDATE webhook_deliveries SET attempts = $2, status = $3, next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1`,
        [
          delivery.id,
          attempt,
          delivered ? 'delivered' : exhausted ? 'failed' : 'pending',
          delivered || exhausted ? 0 : RETRY_DELAYS_S[attempt - 1],
        ],
      );
    });
    // Given up: the receiver's owner learns it from the log (and an operator from its level), not from a page.
    if (exhausted)
      this.logger.warn(
        {
          msg: 'webhook delivery failed for good',
          delivery_id: delivery.id,
          account_id: delivery.account_id,
          attempts: attempt,
          last_error: error?.slice(0, 200),
        },
        'WebhookDispatcher',
      );
  }
}

/**
 * Resolves a webhook host for the connection itself and refuses it if any of its addresses is private:
 * the socket connects to an address that was checked, so a name that resolves to a public address for
 * a check and to a private one for the connection (DNS rebinding) gets nowhere.
 */
export function publicOnlyLookup(allowPrivate: boolean, resolveHost: ResolveHost = lookup): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      if (!allowPrivate && addresses.some(({ address }) => isPrivateAddress(address))) {
        return callback(new Error('the webhook host resolves to a private address'), '', 0);
      }
      // Cloud metadata services answer on link-local addresses: refused even where private targets are allowed.
      if (addresses.some(({ address }) => isLinkLocalAddress(address))) {
        return callback(new Error('the webhook host resolves to a link-local address'), '', 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * POSTs `body` and resolves with the answer's status; the answer's body is never read (a receiver may
 * send gigabytes). The whole attempt, name lookup included, has TIMEOUT_MS.
 */
function post(url: string, body: string, headers: Record<string, string>, lookupHost: LookupFunction): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      {
        // An IPv6 literal without its brackets; a literal is not looked up (isSafeWebhookUrl checked it).
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: lookupHost,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on('error', (error) =>
      reject(error.name === 'AbortError' ? new Error(`no answer within ${TIMEOUT_MS} ms`) : error),
    );
    request.end(body);
  });
}
