import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { KeysRpc, RpcErrorCode, type VerifiedSession } from '#contracts';
import { AccountsRepository, toAccountView } from '../accounts/accounts.repository';
import { LoginThrottle } from '../accounts/login-throttle';
import { DomainError, normalizedEmail } from '#contracts';
import { KeyStore, eventMeta } from '../shared/key-store';
import { CreateSessionCommand, EndSessionCommand, VerifySessionQuery } from './sessions.dto';

export const SESSION_LIFETIME_MS = 30 * 24 * 3600 * 1000;
/** A session used again is extended, at most once per this interval (not a write per request). */
const SLIDE_EVERY_MS = 60 * 60 * 1000;

/**
 * Dashboard sessions. The table holds the token hashes; session.created / session.ended events
 * record them for the audit trail (never a token or its hash).
 */
@Controller()
export class SessionsHandler {
  constructor(
    private readonly store: KeyStore,
    private readonly accounts: AccountsRepository,
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
  ) {}

  @MessagePattern(KeysRpc.createSession)
  async create(@Payload() command: CreateSessionCommand): Promise<{ session_id: string; expires_at: string }> {
    const account = await this.accounts.findById(command.account_id);
    if (!account) throw new DomainError(RpcErrorCode.ResourceNotFound, 'no such account');
    const now = this.store.clock();
    const sessionId = randomUUID();
    const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
    await this.store.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO sessions (id, account_id, token_hash, csrf_token_hash, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $5)`,
        [sessionId, account.id, command.token_hash, command.csrf_token_hash, now, expiresAt],
      );
      await this.store.append(
        `session-${sessionId}`,
        [{ type: 'session.created', data: { session_id: sessionId, expires_at: expiresAt.toISOString() } }],
        'no_stream',
        eventMeta(command.meta, account.id),
        manager,
      );
    });
    await this.throttle.recordSuccess(normalizedEmail(account.email));
    return { session_id: sessionId, expires_at: expiresAt.toISOString() };
  }

  /** A live session and its account, sliding its expiry forward; `null` when unknown, ended or expired. */
  @MessagePattern(KeysRpc.verifySession)
  async verify(@Payload() query: VerifySessionQuery): Promise<VerifiedSession | null> {
    const now = this.store.clock();
    const [row] = (await this.store.dataSource.query(
      `SELECT s.id AS session_id, s.csrf_token_hash, s.expires_at, s.last_seen_at, a.*
         FROM sessions s JOIN accounts a ON a.id = s.account_id
        WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2`,
      [query.token_hash, now],
    )) as (Parameters<typeof toAccountView>[0] & {
      session_id: string;
      csrf_token_hash: string;
      expires_at: Date;
      last_seen_at: Date;
    })[];
    if (!row) return null;
    let expiresAt = row.expires_at;
    if (now.getTime() - row.last_seen_at.getTime() > SLIDE_EVERY_MS) {
      expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
      await this.store.dataSource.query(`UPDATE sessions SET expires_at = $2, last_seen_at = $3 WHERE id = $1`, [
        row.session_id,
        expiresAt,
        now,
      ]);
    }
    return {
      session_id: row.session_id,
      csrf_token_hash: row.csrf_token_hash,
      expires_at: expiresAt.toISOString(),
      account: toAccountView(row),
    };
  }

  @MessagePattern(KeysRpc.endSession)
  async end(@Payload() command: EndSessionCommand): Promise<{ ended: boolean }> {
    const now = this.store.clock();
    return this.store.dataSource.transaction(async (manager) => {
      const rows = (await manager.query(
        `UPDATE sessions SET ended_at = $2 WHERE token_hash = $1 AND ended_at IS NULL RETURNING id, account_id`,
        [command.token_hash, now],
      )) as [{ id: string; account_id: string }[], number];
      const [ended] = rows[0];
      if (!ended) return { ended: false };
      await this.store.append(
        `session-${ended.id}`,
        [{ type: 'session.ended', data: { session_id: ended.id, reason: command.reason ?? 'logout' } }],
        1,
        eventMeta(command.meta, ended.account_id),
        manager,
      );
      return { ended: true };
    });
  }
}
