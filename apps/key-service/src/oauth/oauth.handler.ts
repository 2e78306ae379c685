import { Controller, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  DomainError,
  ExchangeCodeCommand,
  GetClientQuery,
  IssueCodeCommand,
  GetGrantQuery,
  ListGrantsQuery,
  OAuthRpc,
  OAUTH_ACCESS_TOKEN_TTL_S,
  OAUTH_CODE_TTL_S,
  OAUTH_REFRESH_TOKEN_TTL_S,
  type OAuthClientView,
  type OAuthGrantRevokeReason,
  type OAuthGrantView,
  type OAuthScope,
  type OAuthTokenOutcome,
  type Page,
  RefreshTokenCommand,
  RegisterClientCommand,
  RevokeGrantCommand,
  RevokeTokenCommand,
  RpcErrorCode,
  type ExpiredAccessToken,
  type VerifiedAccessToken,
  VerifyAccessTokenQuery,
  redirectUriRegistered,
  toPage,
} from '#contracts';
import { toAccountView } from '../accounts/accounts.repository';
import { KeyStore, eventMeta } from '../shared/key-store';

/** How often expired codes and tokens are deleted. */
const SWEEP_EVERY_MS = 60 * 60 * 1000;
/** A grant's `last_used_at` moves at most this often (not a write per MCP request). */
const TOUCH_EVERY_MS = 60 * 1000;
/**
 * A refresh token presented again this soon after its first use, from the same address, is taken for a race
 * of the same client (two of its processes refreshing at once, or a retry), not theft: refused, recorded,
 * and the grant stays. From another address, or later, it revokes the grant.
 */
const REFRESH_REUSE_GRACE_MS = 10 * 1000;
/** A registered client that never got a grant is forgotten after this long (registration is anonymous). */
const UNUSED_CLIENT_TTL_MS = 30 * 24 * 3600 * 1000;

interface ClientRow {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  client_uri: string | null;
  created_at: Date;
}

/** Sort columns by `sort_by` (validated against GRANT_SORT_FIELDS before it gets here). */
const GRANT_ORDER: Record<ListGrantsQuery['sort_by'], string> = {
  created_at: 'g.created_at',
  last_used_at: 'g.last_used_at',
};

const GRANT_VIEW_COLUMNS = 'g.id, g.client_id, c.client_name, g.scopes, g.resource, g.created_at, g.last_used_at';

interface GrantViewRow {
  id: string;
  client_id: string;
  client_name: string;
  scopes: OAuthScope[];
  resource: string;
  created_at: Date;
  last_used_at: Date | null;
}

function toGrantView(row: GrantViewRow): OAuthGrantView {
  return {
    id: row.id,
    client_id: row.client_id,
    client_name: row.client_name,
    scopes: row.scopes,
    resource: row.resource,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
  };
}

const grantStream = (grantId: string): string => `oauth-grant-${grantId}`;
const after = (now: Date, seconds: number): Date => new Date(now.getTime() + seconds * 1000);
const refused = (
  error: 'invalid_grant' | 'invalid_scope' | 'invalid_target',
  description: string,
): OAuthTokenOutcome => ({ ok: false, error, error_description: description });

function toClientView(row: ClientRow): OAuthClientView {
  return {
    client_id: row.client_id,
    client_name: row.client_name,
    redirect_uris: row.redirect_uris,
    client_uri: row.client_uri,
    created_at: row.created_at.toISOString(),
  };
}

/**
 * The OAuth 2.1 authorization server's state (PRODUCT.md §14): registered clients, grants (one per
 * exchanged authorization code), and the hashes of codes, access tokens and rotating refresh tokens.
 * Protocol checks that need no state (URIs, PKCE encoding, grant types) are the gateway's.
 */
@Controller()
export class OAuthHandler implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(OAuthHandler.name);
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly store: KeyStore) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.sweepExpired().catch((error: unknown) =>
        this.logger.warn({ msg: 'OAuth sweep failed', error: String(error) }),
      );
    }, SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  @MessagePattern(OAuthRpc.registerClient)
  async registerClient(@Payload() command: RegisterClientCommand): Promise<OAuthClientView> {
    const clientId = randomUUID();
    const now = this.store.clock();
    const row: ClientRow = {
      client_id: clientId,
      client_name: command.client_name,
      redirect_uris: command.redirect_uris,
      client_uri: command.client_uri ?? null,
      created_at: now,
    };
    await this.store.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO oauth_clients (client_id, client_name, redirect_uris, client_uri, created_at) VALUES ($1, $2, $3, $4, $5)`,
        [clientId, row.client_name, JSON.stringify(row.redirect_uris), row.client_uri, now],
      );
      await this.store.append(
        `oauth-client-${clientId}`,
        [
          {
            type: 'oauth.client_registered',
            data: {
              client_id: clientId,
              client_name: row.client_name,
              redirect_uris: row.redirect_uris,
              client_uri: row.client_uri,
            },
          },
        ],
        'no_stream',
        eventMeta(command.meta, null),
        manager,
      );
    });
    return toClientView(row);
  }

  @MessagePattern(OAuthRpc.getClient)
  async getClient(@Payload() query: GetClientQuery): Promise<OAuthClientView | null> {
    const [row] = (await this.store.dataSource.query(`SELECT * FROM oauth_clients WHERE client_id = $1`, [
      query.client_id,
    ])) as ClientRow[];
    return row ? toClientView(row) : null;
  }

  /** The user allowed the client: a one-time code, valid for OAUTH_CODE_TTL_S, bound to the PKCE challenge. */
  @MessagePattern(OAuthRpc.issueCode)
  async issueCode(@Payload() command: IssueCodeCommand): Promise<{ expires_at: string }> {
    const [client] = (await this.store.dataSource.query(
      `SELECT redirect_uris FROM oauth_clients WHERE client_id = $1`,
      [command.client_id],
    )) as Pick<ClientRow, 'redirect_uris'>[];
    if (!client) throw new DomainError(RpcErrorCode.ResourceNotFound, 'no such client');
    if (!redirectUriRegistered(client.redirect_uris, command.redirect_uri))
      throw DomainError.invalidField('redirect_uri', 'is not one of the client’s registered redirect URIs');
    const now = this.store.clock();
    const expiresAt = after(now, OAUTH_CODE_TTL_S);
    await this.store.dataSource.query(
      `INSERT INTO oauth_codes (code_hash, client_id, account_id, redirect_uri, redirect_uri_given, code_challenge, scopes, resource, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        command.code_hash,
        command.client_id,
        command.account_id,
        command.redirect_uri,
        command.redirect_uri_given,
        command.code_challenge,
        command.scopes,
        command.resource,
        expiresAt,
      ],
    );
    return { expires_at: expiresAt.toISOString() };
  }

  /**
   * Authorization code → grant, access token and refresh token (RFC 6749 §4.1.3, RFC 7636 §4.6). A code
   * works once: a second exchange revokes the grant the first one made (OAuth 2.1 §4.1.3), and a wrong
   * verifier uses the code up as well, so a stolen code cannot be tried twice.
   */
  @MessagePattern(OAuthRpc.exchangeCode)
  async exchangeCode(@Payload() command: ExchangeCodeCommand): Promise<OAuthTokenOutcome> {
    const now = this.store.clock();
    return this.store.dataSource.transaction(async (manager) => {
      const [code] = (await manager.query(
        `SELECT c.*, a.status AS account_status, cl.client_name
           FROM oauth_codes c
           JOIN accounts a ON a.id = c.account_id
           JOIN oauth_clients cl ON cl.client_id = c.client_id
          WHERE c.code_hash = $1 FOR UPDATE OF c`,
        [command.code_hash],
      )) as {
        client_id: string;
        account_id: string;
        redirect_uri: string;
        redirect_uri_given: boolean;
        code_challenge: string;
        scopes: OAuthScope[];
        resource: string;
        expires_at: Date;
        used_at: Date | null;
        grant_id: string | null;
        account_status: string;
        client_name: string;
      }[];
      if (!code || code.client_id !== command.client_id)
        return refused('invalid_grant', 'the authorization code is not known for this client');
      if (code.used_at) {
        if (!code.grant_id)
          // Used up by a refused exchange (a wrong code_verifier or redirect_uri): it never gave tokens.
          return refused('invalid_grant', 'the authorization code was used up by an earlier refused exchange');
        await this.revoke(manager, code.grant_id, code.account_id, 'code_reuse', command.meta, now);
        return refused('invalid_grant', 'the authorization code was already used; the tokens it gave are revoked');
      }
      if (code.expires_at.getTime() <= now.getTime()) return refused('invalid_grant', 'the authorization code expired');
      await manager.query(`UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1`, [command.code_hash, now]);
      // OAuth 2.1 §4.1.3: the same redirect_uri as the authorization request, required when that one named it.
      if ((code.redirect_uri_given || command.redirect_uri !== undefined) && command.redirect_uri !== code.redirect_uri)
        return refused('invalid_grant', 'redirect_uri is not the one the authorization request used');
      if (code.code_challenge !== command.code_challenge)
        return refused('invalid_grant', 'code_verifier does not match the code_challenge');
      if (command.resource !== undefined && command.resource !== code.resource)
        return refused('invalid_target', 'resource is not the one the user authorized');
      if (code.account_status !== 'active') return refused('invalid_grant', 'the account is suspended');

      // One live grant per account and client: connecting the same app again replaces the older grant. The
      // lock orders two exchanges for the same pair, so that the second sees (and replaces) the first's grant.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `oauth-grant:${code.account_id}:${code.client_id}`,
      ]);
      const older = (await manager.query(
        `SELECT id FROM oauth_grants WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL FOR UPDATE`,
        [code.account_id, code.client_id],
      )) as { id: string }[];
      for (const grant of older) await this.revoke(manager, grant.id, code.account_id, 'replaced', command.meta, now);
      const grantId = randomUUID();
      await manager.query(
        `INSERT INTO oauth_grants (id, account_id, client_id, scopes, resource, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [grantId, code.account_id, code.client_id, code.scopes, code.resource, now],
      );
      await manager.query(`UPDATE oauth_codes SET grant_id = $2 WHERE code_hash = $1`, [command.code_hash, grantId]);
      await this.insertTokens(
        manager,
        grantId,
        code.scopes,
        code.scopes,
        command.access_token_hash,
        command.refresh_token_hash,
        now,
      );
      await this.store.append(
        grantStream(grantId),
        [
          {
            type: 'oauth.grant_created',
            data: {
              grant_id: grantId,
              client_id: code.client_id,
              client_name: code.client_name,
              scopes: code.scopes,
              resource: code.resource,
            },
          },
        ],
        'no_stream',
        eventMeta(command.meta, code.account_id),
        manager,
      );
      return { ok: true, grant_id: grantId, scopes: code.scopes, resource: code.resource };
    });
  }

  /**
   * Refresh token → a new access token and a new refresh token (OAuth 2.1 §4.3: public clients' refresh
   * tokens rotate). Presenting a refresh token that was already used means two parties hold it: the
   * grant is revoked, except within REFRESH_REUSE_GRACE_MS from the same address (refused and recorded,
   * the grant kept).
   */
  @MessagePattern(OAuthRpc.refresh)
  async refresh(@Payload() command: RefreshTokenCommand): Promise<OAuthTokenOutcome> {
    const now = this.store.clock();
    return this.store.dataSource.transaction(async (manager) => {
      const [token] = (await manager.query(
        `SELECT r.scopes, r.expires_at, r.used_at, r.used_from_ip, g.id AS grant_id, g.client_id, g.account_id, g.resource,
                g.revoked_at, a.status AS account_status
           FROM oauth_refresh_tokens r
           JOIN oauth_grants g ON g.id = r.grant_id
           JOIN accounts a ON a.id = g.account_id
          WHERE r.token_hash = $1 FOR UPDATE OF r`,
        [command.refresh_token_hash],
      )) as {
        scopes: OAuthScope[];
        expires_at: Date;
        used_at: Date | null;
        used_from_ip: string | null;
        grant_id: string;
        client_id: string;
        account_id: string;
        resource: string;
        revoked_at: Date | null;
        account_status: string;
      }[];
      if (!token || token.client_id !== command.client_id || token.revoked_at)
        return refused('invalid_grant', 'the refresh token is not valid for this client');
      if (token.used_at) {
        const sameClientRace =
          now.getTime() - token.used_at.getTime() < REFRESH_REUSE_GRACE_MS &&
          token.used_from_ip !== null &&
          token.used_from_ip === (command.meta.ip ?? null);
        if (sameClientRace) {
          await this.store.append(
            grantStream(token.grant_id),
            [
              {
                type: 'oauth.refresh_token_reused',
                data: { grant_id: token.grant_id, client_id: token.client_id, revoked: false },
              },
            ],
            'any',
            eventMeta(command.meta, token.account_id),
            manager,
          );
          return refused('invalid_grant', 'the refresh token was just used by another request: use the tokens it got');
        }
        await this.revoke(manager, token.grant_id, token.account_id, 'refresh_token_reuse', command.meta, now, {
          // Which of the two holders is the app is unknown: the alert shows both addresses.
          first_use_ip: token.used_from_ip,
        });
        return refused('invalid_grant', 'the refresh token was already used; the grant is revoked');
      }
      if (token.expires_at.getTime() <= now.getTime()) return refused('invalid_grant', 'the refresh token expired');
      if (token.account_status !== 'active') return refused('invalid_grant', 'the account is suspended');
      const scopes = command.scopes ?? token.scopes;
      if (scopes.length === 0 || scopes.some((scope) => !token.scopes.includes(scope)))
        return refused('invalid_scope', `scope may only narrow the granted scopes: ${token.scopes.join(' ')}`);
      if (command.resource !== undefined && command.resource !== token.resource)
        return refused('invalid_target', 'resource is not the one the user authorized');

      await manager.query(`UPDATE oauth_refresh_tokens SET used_at = $2, used_from_ip = $3 WHERE token_hash = $1`, [
        command.refresh_token_hash,
        now,
        command.meta.ip ?? null,
      ]);
      // RFC 6749 §6: a narrower access token, but the new refresh token keeps the grant's scopes.
      await this.insertTokens(
        manager,
        token.grant_id,
        scopes,
        token.scopes,
        command.access_token_hash,
        command.new_refresh_token_hash,
        now,
      );
      return { ok: true, grant_id: token.grant_id, scopes, resource: token.resource };
    });
  }

  /**
   * The grant behind a live access token, and its account; `{ refused: 'expired' }` for an expired one not yet
   * swept; `null` when unknown (or swept), or when its grant was revoked (its tokens go with it).
   */
  @MessagePattern(OAuthRpc.verifyAccessToken)
  async verifyAccessToken(
    @Payload() query: VerifyAccessTokenQuery,
  ): Promise<VerifiedAccessToken | ExpiredAccessToken | null> {
    const now = this.store.clock();
    const [row] = (await this.store.dataSource.query(
      `SELECT t.scopes AS token_scopes, t.expires_at AS token_expires_at, g.id AS grant_id, g.client_id,
              g.resource, g.last_used_at AS grant_last_used_at, a.*
         FROM oauth_access_tokens t
         JOIN oauth_grants g ON g.id = t.grant_id
         JOIN accounts a ON a.id = g.account_id
        WHERE t.token_hash = $1 AND g.revoked_at IS NULL`,
      [query.token_hash],
    )) as (Parameters<typeof toAccountView>[0] & {
      token_scopes: OAuthScope[];
      token_expires_at: Date;
      grant_id: string;
      client_id: string;
      resource: string;
      grant_last_used_at: Date | null;
    })[];
    // A revoked grant's access tokens are deleted with it: only an expired one is still here to be told apart.
    if (!row) return null;
    if (row.token_expires_at.getTime() <= now.getTime()) return { refused: 'expired', account_id: row.id };
    if (!row.grant_last_used_at || now.getTime() - row.grant_last_used_at.getTime() > TOUCH_EVERY_MS)
      await this.store.dataSource.query(`UPDATE oauth_grants SET last_used_at = $2 WHERE id = $1`, [row.grant_id, now]);
    return {
      grant_id: row.grant_id,
      client_id: row.client_id,
      scopes: row.token_scopes,
      resource: row.resource,
      expires_at: row.token_expires_at.toISOString(),
      account: toAccountView(row),
    };
  }

  /**
   * RFC 7009. A refresh token revokes its whole grant; an access token only itself. An unknown token,
   * or another client's, changes nothing (and the endpoint still answers 200).
   */
  @MessagePattern(OAuthRpc.revokeToken)
  async revokeToken(@Payload() command: RevokeTokenCommand): Promise<{ revoked: boolean }> {
    const now = this.store.clock();
    return this.store.dataSource.transaction(async (manager) => {
      const [refresh] = (await manager.query(
        `SELECT g.id, g.account_id, g.client_id FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id
          WHERE r.token_hash = $1 AND g.revoked_at IS NULL`,
        [command.token_hash],
      )) as { id: string; account_id: string; client_id: string }[];
      if (refresh && (!command.client_id || command.client_id === refresh.client_id)) {
        await this.revoke(manager, refresh.id, refresh.account_id, 'token_revocation', command.meta, now);
        return { revoked: true };
      }
      const result = (await manager.query(
        `DELETE FROM oauth_access_tokens t USING oauth_grants g
          WHERE t.token_hash = $1 AND g.id = t.grant_id AND ($2::uuid IS NULL OR g.client_id = $2::uuid)
          RETURNING t.token_hash`,
        [command.token_hash, command.client_id ?? null],
      )) as [unknown[], number];
      return { revoked: result[1] > 0 };
    });
  }

  /** The account's connected apps: grants not revoked, in the order asked (the gateway defaults to newest first). */
  @MessagePattern(OAuthRpc.listGrants)
  async listGrants(@Payload() query: ListGrantsQuery): Promise<Page<OAuthGrantView>> {
    const rows = (await this.store.dataSource.query(
      `SELECT ${GRANT_VIEW_COLUMNS}, count(*) OVER () AS total
         FROM oauth_grants g JOIN oauth_clients c ON c.client_id = g.client_id
        WHERE g.account_id = $1 AND g.revoked_at IS NULL
        ORDER BY ${GRANT_ORDER[query.sort_by]} ${query.sort_order === 'asc' ? 'ASC' : 'DESC'} NULLS LAST, g.id
        LIMIT $2 OFFSET $3`,
      [query.account_id, query.limit, (query.page - 1) * query.limit],
    )) as (GrantViewRow & { total: string })[];
    const total = rows.length > 0 ? Number(rows[0].total) : await this.countGrants(query.account_id);
    return toPage(rows.map(toGrantView), total, query);
  }

  /** One grant of the account, a disconnected one too; another account's is not found. */
  @MessagePattern(OAuthRpc.getGrant)
  async getGrant(@Payload() query: GetGrantQuery): Promise<OAuthGrantView> {
    const [row] = (await this.store.dataSource.query(
      `SELECT ${GRANT_VIEW_COLUMNS}
         FROM oauth_grants g JOIN oauth_clients c ON c.client_id = g.client_id
        WHERE g.id = $1 AND g.account_id = $2`,
      [query.grant_id, query.account_id],
    )) as GrantViewRow[];
    if (!row) throw new DomainError(RpcErrorCode.ResourceNotFound, 'no connected app with this id');
    return toGrantView(row);
  }

  /** The user (or the detector's auto-revoke) disconnects an app: its grant and every token of it stop working at once. */
  @MessagePattern(OAuthRpc.revokeGrant)
  async revokeGrant(@Payload() command: RevokeGrantCommand): Promise<{ revoked: true }> {
    const now = this.store.clock();
    return this.store.dataSource.transaction(async (manager) => {
      const [grant] = (await manager.query(
        `SELECT id FROM oauth_grants WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL FOR UPDATE`,
        [command.grant_id, command.account_id],
      )) as { id: string }[];
      if (!grant) throw new DomainError(RpcErrorCode.ResourceNotFound, 'no such connected app');
      await this.revoke(manager, grant.id, command.account_id, command.reason ?? 'user', command.meta, now);
      return { revoked: true };
    });
  }

  private async countGrants(accountId: string): Promise<number> {
    const [row] = (await this.store.dataSource.query(
      `SELECT count(*) AS total FROM oauth_grants WHERE account_id = $1 AND revoked_at IS NULL`,
      [accountId],
    )) as { total: string }[];
    return Number(row.total);
  }

  private async insertTokens(
    manager: EntityManager,
    grantId: string,
    accessScopes: OAuthScope[],
    refreshScopes: OAuthScope[],
    accessTokenHash: string,
    refreshTokenHash: string,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO oauth_access_tokens (token_hash, grant_id, scopes, expires_at) VALUES ($1, $2, $3, $4)`,
      [accessTokenHash, grantId, accessScopes, after(now, OAUTH_ACCESS_TOKEN_TTL_S)],
    );
    await manager.query(
      `INSERT INTO oauth_refresh_tokens (token_hash, grant_id, scopes, expires_at) VALUES ($1, $2, $3, $4)`,
      [refreshTokenHash, grantId, refreshScopes, after(now, OAUTH_REFRESH_TOKEN_TTL_S)],
    );
  }

  private async revoke(
    manager: EntityManager,
    grantId: string,
    accountId: string,
    reason: OAuthGrantRevokeReason,
    meta: RevokeGrantCommand['meta'],
    now: Date,
    /** More facts for the event (a reuse's first address). */
    details: Record<string, unknown> = {},
  ): Promise<void> {
    // The app's name goes into the event: the audit log and a reuse alert name the app people connected.
    const result = (await manager.query(
      `UPDATE oauth_grants g SET revoked_at = $2, revoked_reason = $3
         FROM oauth_clients c
        WHERE g.id = $1 AND g.revoked_at IS NULL AND c.client_id = g.client_id
        RETURNING g.client_id, c.client_name`,
      [grantId, now, reason],
    )) as [{ client_id: string; client_name: string }[], number];
    await manager.query(`DELETE FROM oauth_access_tokens WHERE grant_id = $1`, [grantId]);
    const [revoked] = result[0];
    if (!revoked) return;
    await this.store.append(
      grantStream(grantId),
      [
        {
          type: 'oauth.grant_revoked',
          data: {
            grant_id: grantId,
            client_id: revoked.client_id,
            client_name: revoked.client_name,
            reason,
            ...details,
          },
        },
      ],
      'any',
      eventMeta(meta, accountId),
      manager,
    );
  }

  /** Expired codes and tokens are of no use to anyone; a used refresh token is kept until it would have expired. */
  async sweepExpired(): Promise<void> {
    const now = this.store.clock();
    await this.store.dataSource.query(`DELETE FROM oauth_codes WHERE expires_at < $1`, [
      new Date(now.getTime() - 24 * 3600 * 1000),
    ]);
    await this.store.dataSource.query(`DELETE FROM oauth_access_tokens WHERE expires_at < $1`, [now]);
    await this.store.dataSource.query(`DELETE FROM oauth_refresh_tokens WHERE expires_at < $1`, [now]);
    // CLI logins (`vibexp auth login --web`) approved but never fetched: a short-lived code, like those above.
    await this.store.dataSource.query(`DELETE FROM cli_logins WHERE expires_at <= $1`, [now]);
    // Unused clients go with an event each, so that a rebuild from the events does not bring them back.
    await this.store.dataSource.transaction(async (manager) => {
      const forgotten = (await manager.query(
        `DELETE FROM oauth_clients c
          WHERE c.client_id IN (SELECT c2.client_id FROM oauth_clients c2
                                 WHERE c2.created_at < $1
                                   AND NOT EXISTS (SELECT 1 FROM oauth_grants g WHERE g.client_id = c2.client_id)
                                 LIMIT 1000)
          RETURNING c.client_id`,
        [new Date(now.getTime() - UNUSED_CLIENT_TTL_MS)],
      )) as [{ client_id: string }[], number];
      for (const { client_id: clientId } of forgotten[0])
        await this.store.append(
          `oauth-client-${clientId}`,
          [{ type: 'oauth.client_forgotten', data: { client_id: clientId, reason: 'unused' } }],
          'any',
          { request_id: `oauth-sweep-${now.toISOString()}`, account_id: null },
          manager,
        );
    });
  }
}
