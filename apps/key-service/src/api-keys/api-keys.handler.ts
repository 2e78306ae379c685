import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import {
  type ApiKeyView,
  CLI_LOGIN_TTL_S,
  type Integration,
  KeysRpc,
  type LegacyImportResult,
  type Page,
  RpcErrorCode,
  type VerifiedKey,
  DomainError,
  normalizedEmail,
} from '#contracts';
import { AccountsRepository } from '../accounts/accounts.repository';
import { retryOnConcurrency, retryOnDeadlock } from '#event-store';
import { InvalidationPublisher } from '../shared/invalidation.publisher';
import { KeyStore, eventMeta } from '../shared/key-store';
import {
  AuthorizeCliLoginCommand,
  CreateKeyCommand,
  ExchangeCliLoginCommand,
  GetKeyQuery,
  LegacyImportCommand,
  ListKeysQuery,
  ReportLeakCommand,
  RevokeKeyCommand,
  RotateKeyCommand,
  UpdateKeyCommand,
  VerifyKeyQuery,
} from './api-keys.dto';
import { ApiKeysRepository, toApiKeyView } from './api-keys.repository';
import {
  ALL_INTEGRATIONS,
  type ApiKeyEvent,
  type ApiKeyState,
  type BrowserApproval,
  apiKeyStream,
  decideIntegrations,
  decideRename,
  decideReportedLeak,
  decideRevoke,
  decideRotate,
  fold,
} from './domain/api-key';

/** Approvals of one account that may wait for their CLI at once. */
const CLI_LOGINS_PENDING = 5;

/** What `key.created` will say about the approval: the session and the request, as an event's meta says it. */
function browserApproval(command: AuthorizeCliLoginCommand, now: Date): BrowserApproval {
  const { request_id, ip, user_agent } = eventMeta(command.meta, command.account_id);
  return {
    session_id: command.session_id,
    request_id,
    ...(ip ? { ip } : {}),
    ...(user_agent ? { user_agent } : {}),
    approved_at: now.toISOString(),
  };
}

const notFound = (): DomainError => new DomainError(RpcErrorCode.ResourceNotFound, 'no API key with this id');

/** RPC handlers of the api-key aggregate: load, decide, append, tell the gateways. */

/** Lines of a legacy import stored per transaction (each in a savepoint of its own). */
const LEGACY_IMPORT_CHUNK = 500;
@Controller()
export class ApiKeysHandler {
  constructor(
    private readonly store: KeyStore,
    private readonly keys: ApiKeysRepository,
    private readonly accounts: AccountsRepository,
    private readonly invalidations: InvalidationPublisher,
  ) {}

  @MessagePattern(KeysRpc.verify)
  verify(@Payload() query: VerifyKeyQuery): Promise<VerifiedKey | null> {
    return this.keys.verify(query.key_hash);
  }

  @MessagePattern(KeysRpc.createKey)
  async create(@Payload() command: CreateKeyCommand): Promise<ApiKeyView> {
    const now = this.store.clock();
    if (command.expires_at && Date.parse(command.expires_at) <= now.getTime()) {
      throw DomainError.invalidField('expires_at', 'must be in the future');
    }
    if (!(await this.accounts.findById(command.account_id)))
      throw new DomainError(RpcErrorCode.ResourceNotFound, 'no such account');
    const keyId = randomUUID();
    await this.store.dataSource.transaction(async (manager) => {
      await this.createKey(manager, keyId, command, null);
    });
    // The answer carries the new key's only copy: a notice NATS does not confirm must not lose it.
    await this.invalidations.publishOrLog({ new_key: true });
    return this.view(command.account_id, keyId);
  }

  /**
   * `vibexp auth login --web`, step 1: remembers what the user approved (the key's name and integrations) under
   * the one-time code's hash, for CLI_LOGIN_TTL_S. Expired approvals go on the way.
   */
  @MessagePattern(KeysRpc.authorizeCliLogin)
  async authorizeCliLogin(@Payload() command: AuthorizeCliLoginCommand): Promise<{ expires_at: string }> {
    const now = this.store.clock();
    const account = await this.accounts.findById(command.account_id);
    if (!account || account.status !== 'active')
      throw new DomainError(RpcErrorCode.ResourceNotFound, 'no such account');
    const expiresAt = new Date(now.getTime() + CLI_LOGIN_TTL_S * 1000);
    await this.store.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM cli_logins WHERE expires_at <= $1`, [now]);
      const [inserted] = (await manager.query(
        `INSERT INTO cli_logins (code_hash, account_id, name, integrations, key_expires_at, code_challenge, created_at, expires_at, approved_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code_challenge) DO NOTHING RETURNING code_hash`,
        [
          command.code_hash,
          command.account_id,
          command.name,
          command.integrations,
          command.expires_at ?? null,
          command.code_challenge,
          now,
          expiresAt,
          browserApproval(command, now),
        ],
      )) as unknown[];
      if (!inserted)
        throw DomainError.invalidField('code_challenge', 'was approved already: run `vibexp auth login --web` again');
      // A user cannot pile approvals up: the newest few wait, older ones go.
      await manager.query(
        `DELETE FROM cli_logins WHERE account_id = $1 AND code_hash NOT IN (
           SELECT code_hash FROM cli_logins WHERE account_id = $1 ORDER BY created_at DESC LIMIT ${CLI_LOGINS_PENDING})`,
        [command.account_id],
      );
    });
    return { expires_at: expiresAt.toISOString() };
  }

  /**
   * Step 2: the CLI trades the code and its PKCE verifier for the new key, once. Whatever the outcome, the code
   * is used up (a wrong verifier too: a stolen code cannot be tried twice). `null`: no such code, expired, used,
   * or the verifier does not match, told apart to nobody.
   */
  @MessagePattern(KeysRpc.exchangeCliLogin)
  async exchangeCliLogin(@Payload() command: ExchangeCliLoginCommand): Promise<{ api_key: ApiKeyView | null }> {
    const now = this.store.clock();
    const keyId = randomUUID();
    const accountId = await this.store.dataSource.transaction(async (manager) => {
      // A DELETE … RETURNING answers [rows, count] through TypeORM.
      const [[login]] = (await manager.query(
        `DELETE FROM cli_logins l USING accounts a WHERE l.code_hash = $1 AND a.id = l.account_id
          RETURNING l.*, a.status AS account_status`,
        [command.code_hash],
      )) as [
        {
          account_id: string;
          account_status: string;
          name: string;
          integrations: Integration[];
          key_expires_at: Date | null;
          code_challenge: string;
          expires_at: Date;
          approved_by: BrowserApproval | null;
        }[],
        number,
      ];
      if (!login || login.expires_at.getTime() <= now.getTime() || login.account_status !== 'active') return null;
      if (login.key_expires_at && login.key_expires_at.getTime() <= now.getTime()) return null;
      const expected = Buffer.from(login.code_challenge);
      const given = Buffer.from(command.verifier_challenge);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
      await this.createKey(
        manager,
        keyId,
        {
          account_id: login.account_id,
          name: login.name,
          integrations: login.integrations,
          ...(login.key_expires_at ? { expires_at: login.key_expires_at.toISOString() } : {}),
          key_hash: command.key_hash,
          key_prefix: command.key_prefix,
          meta: command.meta,
          ...(login.approved_by ? { approved_by: login.approved_by } : {}),
        },
        null,
      );
      return login.account_id;
    });
    if (accountId === null) return { api_key: null };
    await this.invalidations.publishOrLog({ new_key: true });
    return { api_key: await this.view(accountId, keyId) };
  }

  @MessagePattern(KeysRpc.listKeys)
  list(@Payload() query: ListKeysQuery): Promise<Page<ApiKeyView>> {
    return this.keys.list(query, this.store.clock());
  }

  @MessagePattern(KeysRpc.getKey)
  get(@Payload() query: GetKeyQuery): Promise<ApiKeyView> {
    return this.view(query.account_id, query.key_id);
  }

  @MessagePattern(KeysRpc.updateKey)
  async update(@Payload() command: UpdateKeyCommand): Promise<ApiKeyView> {
    const state = await this.loadOwned(command.account_id, command.key_id);
    const events: ApiKeyEvent[] = [
      ...(command.name !== undefined ? decideRename(state, command.name, this.store.clock()) : []),
      ...(command.integrations !== undefined
        ? decideIntegrations(state, command.integrations, this.store.clock())
        : []),
    ];
    await this.store.append(
      apiKeyStream(state.id),
      events,
      state.version,
      eventMeta(command.meta, state.accountId, state.id),
    );
    // Also when the integrations were already these: a retry after a notice NATS did not confirm announces
    // the change again. A rename alone denies nothing, but `/auth/me` shows the name: it is announced too,
    // and a notice NATS does not confirm is left to the caches' maximum age.
    if (command.integrations !== undefined) await this.invalidations.publish({ key_id: state.id });
    else if (events.length > 0) await this.invalidations.publishOrLog({ key_id: state.id });
    return this.view(command.account_id, command.key_id);
  }

  @MessagePattern(KeysRpc.revokeKey)
  async revoke(@Payload() command: RevokeKeyCommand): Promise<ApiKeyView> {
    // Revoking is idempotent: a revoke that lost a race to another change of the key is decided again (and
    // finds the key revoked, or revokes it now), as a DELETE sent after the other would be.
    const state = await retryOnConcurrency(async () => {
      const current = await this.loadOwned(command.account_id, command.key_id);
      await this.store.append(
        apiKeyStream(current.id),
        decideRevoke(current, command.reason),
        current.version,
        eventMeta(command.meta, current.accountId, current.id),
      );
      return current;
    });
    await this.invalidations.publish({ key_id: state.id });
    return this.view(command.account_id, command.key_id);
  }

  @MessagePattern(KeysRpc.rotateKey)
  async rotate(@Payload() command: RotateKeyCommand): Promise<{ api_key: ApiKeyView; replaces: string }> {
    const old = await this.loadOwned(command.account_id, command.key_id);
    const newKeyId = randomUUID();
    const rotation = decideRotate(old, newKeyId, command.grace_period_seconds, this.store.clock());
    await this.store.dataSource.transaction(async (manager) => {
      await this.createKey(
        manager,
        newKeyId,
        { ...command, name: old.name, integrations: old.integrations.filter((i) => i !== 'mcp_server') },
        old.id,
        old.expiresAt,
      );
      await this.store.append(
        apiKeyStream(old.id),
        rotation,
        old.version,
        eventMeta(command.meta, old.accountId, old.id),
        manager,
      );
    });
    // As for a new key: the answer carries the new key's only copy (the old key's cached answer lasts 30 s at most).
    await this.invalidations.publishOrLog({ key_id: old.id, new_key: true });
    return { api_key: await this.view(command.account_id, newKeyId), replaces: old.id };
  }

  /** Always accepted (no oracle): a live key is revoked with reason `leaked`. */
  @MessagePattern(KeysRpc.reportLeak)
  async reportLeak(@Payload() command: ReportLeakCommand): Promise<{ accepted: true }> {
    const keyId = await this.keys.keyIdForHash(command.key_hash);
    const row = keyId ? await this.keys.findById(keyId) : undefined;
    if (!keyId || !row) return { accepted: true };
    // Decided again when another change of the key (a second scanner's report, a rename) won the race: a
    // conflict must reach no reporter, whose answer is 202 whatever the token (no oracle).
    await retryOnConcurrency(async () => {
      const state = await this.store.load<ApiKeyEvent, ApiKeyState>(apiKeyStream(keyId), fold);
      if (!state || state.status !== 'active') return;
      await this.store.append(
        apiKeyStream(state.id),
        decideReportedLeak(state, { keyPrefix: row.key_prefix, sourceUrl: command.source_url }),
        state.version,
        eventMeta(command.meta, state.accountId, state.id),
      );
    });
    // For a key already revoked too: a repeated report after a notice NATS did not confirm announces it again.
    // Never a failed answer: a reporter gets 202 whatever the token (no oracle), and does not retry.
    await this.invalidations.publishOrLog({ key_id: keyId });
    return { accepted: true };
  }

  /** Idempotent: a hash that is already known answers `exists` with its key id. */
  @MessagePattern(KeysRpc.adminImportLegacy)
  async importLegacy(@Payload() command: LegacyImportCommand): Promise<LegacyImportResult> {
    const result: LegacyImportResult = { created: 0, existing: 0, failed: 0, results: [] };
    // Each hash's key and its account, read at once for the file and kept up to date as lines create keys (a hash
    // twice in one file is `exists` the second time); accounts are looked up once per email.
    const owners = await this.keys.ownersOfHashes(command.lines.map((line) => line.key_sha256));
    const accounts = new Map<string, Promise<string | undefined>>();
    const accountOf = (email: string): Promise<string | undefined> => {
      const key = normalizedEmail(email);
      let found = accounts.get(key);
      if (!found) accounts.set(key, (found = this.accounts.findByEmail(email).then((account) => account?.id)));
      return found;
    };
    // Lines go in by chunk, one transaction each, every line in a savepoint of its own: a commit per line made the
    // documented 10,000 lines outlast the gateway's 30 s (it answered 503 while key-service went on importing).
    try {
      for (let start = 0; start < command.lines.length; start += LEGACY_IMPORT_CHUNK) {
        const chunk = command.lines.slice(start, start + LEGACY_IMPORT_CHUNK);
        // Two imports of the same hashes in another order can deadlock; the chunk is then taken again.
        const done = await retryOnDeadlock(() =>
          this.store.dataSource.transaction((manager) => this.importChunk(manager, chunk, owners, accountOf, command)),
        );
        for (const [hash, owner] of done.owners) owners.set(hash, owner);
        for (const line of done.results) {
          result[line.status === 'created' ? 'created' : line.status === 'exists' ? 'existing' : 'failed'] += 1;
          result.results.push(line);
        }
      }
    } finally {
      // Also after a chunk that failed: the keys of the chunks committed before it work now.
      if (result.created > 0) await this.invalidations.publishOrLog({ new_key: true });
    }
    return result;
  }

  /** One chunk's lines in one transaction: what each line became, and the keys it created (by hash). */
  private async importChunk(
    manager: EntityManager,
    chunk: LegacyImportCommand['lines'],
    known: ReadonlyMap<string, { keyId: string; accountId: string }>,
    accountOf: (email: string) => Promise<string | undefined>,
    command: LegacyImportCommand,
  ): Promise<{ results: LegacyImportResult['results']; owners: Map<string, { keyId: string; accountId: string }> }> {
    const results: LegacyImportResult['results'] = [];
    const created = new Map<string, { keyId: string; accountId: string }>();
    for (const line of chunk) {
      const accountId = await accountOf(line.email);
      const owner = known.get(line.key_sha256) ?? created.get(line.key_sha256);
      const outcome = owner
        ? { ...owner, created: false }
        : await this.claimLegacyHash(manager, line, accountId, command);
      if (outcome === 'no account') {
        results.push({ line: line.line, status: 'error', error: 'no account has this email' });
      } else if (outcome.created) {
        created.set(line.key_sha256, { keyId: outcome.keyId, accountId: outcome.accountId });
        results.push({ line: line.line, status: 'created', key_id: outcome.keyId });
      } else if (accountId !== undefined && outcome.accountId === accountId) {
        results.push({ line: line.line, status: 'exists', key_id: outcome.keyId });
      } else {
        // A key of another account is an error for this line, which names neither that account nor its key.
        results.push({ line: line.line, status: 'error', error: 'this key already belongs to another account' });
      }
    }
    return { results, owners: created };
  }

  /**
   * Imports a line's key for its account, in a savepoint; a hash that another import stored meanwhile (its
   * transaction committed first) is answered with that key's owner instead.
   */
  private async claimLegacyHash(
    manager: EntityManager,
    line: LegacyImportCommand['lines'][number],
    accountId: string | undefined,
    command: LegacyImportCommand,
  ): Promise<'no account' | { keyId: string; accountId: string; created: boolean }> {
    if (accountId === undefined) return 'no account';
    const keyId = randomUUID();
    await manager.query('SAVEPOINT legacy_line');
    try {
      await manager.query(`INSERT INTO api_key_hashes (key_hash, key_id) VALUES ($1, $2)`, [line.key_sha256, keyId]);
      const event: ApiKeyEvent = {
        type: 'key.legacy_imported',
        data: {
          key_id: keyId,
          account_id: accountId,
          name: line.name,
          key_prefix: line.key_prefix,
          integrations: ALL_INTEGRATIONS,
          original_created_at: line.created_at ?? null,
          last_used_at: line.last_used_at ?? null,
          notes: line.notes ?? null,
        },
      };
      await this.store.append(
        apiKeyStream(keyId),
        [event],
        'no_stream',
        eventMeta(command.meta, accountId, keyId),
        manager,
      );
      await manager.query('RELEASE SAVEPOINT legacy_line');
      return { keyId, accountId, created: true };
    } catch (error) {
      await manager.query('ROLLBACK TO SAVEPOINT legacy_line');
      const [raced] = [...(await this.keys.ownersOfHashes([line.key_sha256], manager)).values()];
      if (!raced) throw error;
      return { ...raced, created: false };
    }
  }

  private async createKey(
    manager: EntityManager,
    keyId: string,
    command: Pick<CreateKeyCommand, 'account_id' | 'name' | 'key_hash' | 'key_prefix' | 'meta'> & {
      integrations: Integration[];
      expires_at?: string;
      approved_by?: BrowserApproval;
    },
    replaces: string | null,
    inheritedExpiry: string | null = null,
  ): Promise<void> {
    await manager.query(`INSERT INTO api_key_hashes (key_hash, key_id) VALUES ($1, $2)`, [command.key_hash, keyId]);
    const event: ApiKeyEvent = {
      type: 'key.created',
      data: {
        key_id: keyId,
        account_id: command.account_id,
        name: command.name,
        key_prefix: command.key_prefix,
        integrations: command.integrations,
        expires_at: command.expires_at ?? inheritedExpiry,
        replaces,
        ...(command.approved_by ? { approved_by: command.approved_by } : {}),
      },
    };
    await this.store.append(
      apiKeyStream(keyId),
      [event],
      'no_stream',
      eventMeta(command.meta, command.account_id, keyId),
      manager,
    );
  }

  /** Another account's key is simply not found (PRODUCT.md §3.3). */
  private async loadOwned(accountId: string, keyId: string): Promise<ApiKeyState> {
    if (!(await this.keys.findOwned(accountId, keyId))) throw notFound();
    const state = await this.store.load<ApiKeyEvent, ApiKeyState>(apiKeyStream(keyId), fold);
    if (!state) throw notFound();
    return state;
  }

  private async view(accountId: string, keyId: string): Promise<ApiKeyView> {
    const row = await this.keys.findOwned(accountId, keyId);
    if (!row) throw notFound();
    return toApiKeyView(row, this.store.clock());
  }
}
