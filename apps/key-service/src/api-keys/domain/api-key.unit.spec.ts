import { RpcErrorCode } from '#contracts';
import { DomainError } from '#contracts';
import {
  ALL_INTEGRATIONS,
  type ApiKeyEvent,
  type ApiKeyState,
  decideDue,
  decideIntegrations,
  decideRename,
  decideReportedLeak,
  decideRevoke,
  decideRotate,
  evolve,
  fold,
} from './api-key';

const now = new Date('2025-06-01T12:00:00.000Z');
const keyId = '0b8f2f4e-6a40-4b5e-9d43-6f3f2f0f4a11';
const accountId = '5c1d7f0e-1f7b-4d0a-8e8e-2d7a4b9c3e22';
const successorId = '9e3a1b2c-4d5e-4f60-8a7b-0c1d2e3f4a33';

function createdExpiringAt(expiresAt: string | null): ApiKeyEvent {
  return {
    type: 'key.created',
    data: {
      key_id: keyId,
      account_id: accountId,
      name: 'Laptop',
      key_prefix: 'vxk_01234567',
      integrations: ['ai_tools', 'cli'],
      expires_at: expiresAt,
      replaces: null,
    },
  };
}

const created = createdExpiringAt(null);

function stateOf(...events: ApiKeyEvent[]): ApiKeyState {
  const state = fold(events);
  if (!state) throw new Error('no state');
  return state;
}

function errorOf(decision: () => unknown): unknown {
  try {
    decision();
  } catch (error) {
    return error;
  }
  throw new Error('the decision was not refused');
}

const active = () => stateOf(created);
const revoked = () => stateOf(created, { type: 'key.revoked', data: { reason: 'user' } });

describe('api-key evolve / fold', () => {
  it('has no state without events', () => {
    expect(fold([])).toBeNull();
  });

  it('starts an active key from key.created', () => {
    expect(stateOf(createdExpiringAt('2025-12-31T00:00:00.000Z'))).toEqual({
      id: keyId,
      accountId,
      name: 'Laptop',
      integrations: ['ai_tools', 'cli'],
      status: 'active',
      expiresAt: '2025-12-31T00:00:00.000Z',
      replacedBy: null,
      revokeAt: null,
      version: 1,
    });
  });

  it('starts an active, non-expiring key from key.legacy_imported', () => {
    const imported: ApiKeyEvent = {
      type: 'key.legacy_imported',
      data: {
        key_id: keyId,
        account_id: accountId,
        name: 'Old CLI key',
        key_prefix: 'legacy:abcdef',
        integrations: ALL_INTEGRATIONS,
        original_created_at: '2023-01-01T00:00:00.000Z',
        last_used_at: null,
        notes: 'migrated',
      },
    };
    expect(stateOf(imported)).toEqual({
      id: keyId,
      accountId,
      name: 'Old CLI key',
      integrations: ['ai_tools', 'cli', 'mcp_server'],
      status: 'active',
      expiresAt: null,
      replacedBy: null,
      revokeAt: null,
      version: 1,
    });
  });

  it('applies later events in order and counts the version', () => {
    const sut = stateOf(
      created,
      { type: 'key.renamed', data: { name: 'Desktop' } },
      { type: 'key.integrations_changed', data: { integrations: ['cli'] } },
      {
        type: 'key.rotated',
        data: { replaced_by: successorId, grace_period_seconds: 60, revoke_at: '2025-06-01T12:01:00.000Z' },
      },
    );
    expect(sut).toMatchObject({
      name: 'Desktop',
      integrations: ['cli'],
      status: 'active',
      replacedBy: successorId,
      revokeAt: '2025-06-01T12:01:00.000Z',
      version: 4,
    });
  });

  it.each<[string, ApiKeyEvent]>([
    ['key.revoked', { type: 'key.revoked', data: { reason: 'user' } }],
    ['key.expired', { type: 'key.expired', data: { expires_at: '2025-06-01T00:00:00.000Z' } }],
  ])('%s revokes the key and clears a pending revocation', (_, event) => {
    const rotated: ApiKeyEvent = {
      type: 'key.rotated',
      data: { replaced_by: successorId, grace_period_seconds: 60, revoke_at: '2025-06-01T12:01:00.000Z' },
    };
    expect(stateOf(created, rotated, event)).toMatchObject({ status: 'revoked', revokeAt: null, version: 3 });
  });

  it('refuses an event before the key was created', () => {
    expect(() => evolve(null, { type: 'key.renamed', data: { name: 'x' } })).toThrow(/before the key was created/);
  });
});

describe('decideRename', () => {
  it('renames an active key', () => {
    expect(decideRename(active(), 'Desktop', now)).toEqual([{ type: 'key.renamed', data: { name: 'Desktop' } }]);
  });

  it('records nothing when the name is unchanged', () => {
    expect(decideRename(active(), 'Laptop', now)).toEqual([]);
  });

  it('refuses a revoked key with KEY_REVOKED', () => {
    const error = errorOf(() => decideRename(revoked(), 'Desktop', now));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: RpcErrorCode.KeyRevoked });
  });
});

describe('decideIntegrations', () => {
  it.each([[['ai_tools', 'cli'] as const], [['cli', 'ai_tools'] as const]])(
    'records nothing for the same set in any order: %j',
    (integrations) => {
      expect(decideIntegrations(active(), [...integrations], now)).toEqual([]);
    },
  );

  it.each([[['cli'] as const], [['ai_tools'] as const]])('records a change to %j', (integrations) => {
    expect(decideIntegrations(active(), [...integrations], now)).toEqual([
      { type: 'key.integrations_changed', data: { integrations } },
    ]);
  });

  it('refuses a revoked key with KEY_REVOKED', () => {
    expect(errorOf(() => decideIntegrations(revoked(), ['cli'], now))).toMatchObject({ code: RpcErrorCode.KeyRevoked });
  });

  it('refuses to add mcp_server (INTEGRATION_RETIRED), and lets a key that has it keep it', () => {
    expect(errorOf(() => decideIntegrations(active(), ['cli', 'mcp_server'], now))).toMatchObject({
      code: RpcErrorCode.IntegrationRetired,
    });
    const legacy = stateOf({
      ...created,
      data: { ...(created.data as object), integrations: ['ai_tools', 'cli', 'mcp_server'] },
    } as ApiKeyEvent);
    expect(decideIntegrations(legacy, ['cli', 'mcp_server'], now)).toEqual([
      { type: 'key.integrations_changed', data: { integrations: ['cli', 'mcp_server'] } },
    ]);
    expect(decideIntegrations(legacy, ['cli'], now)).toEqual([
      { type: 'key.integrations_changed', data: { integrations: ['cli'] } },
    ]);
    expect(errorOf(() => decideIntegrations(legacy, ['mcp_server'], now))).toMatchObject({
      code: RpcErrorCode.IntegrationRetired,
    });
  });
});

describe('a key past its expiry or its grace period, not yet recorded so by the scheduler', () => {
  const expiring = () => stateOf(createdExpiringAt('2025-06-01T12:00:00.500Z'));
  const justAfter = new Date('2025-06-01T12:00:00.700Z');

  it('is changed no more: rename, integrations and rotation are KEY_REVOKED, saying why', () => {
    for (const decide of [
      () => decideRename(expiring(), 'Desktop', justAfter),
      () => decideIntegrations(expiring(), ['cli'], justAfter),
      () => decideRotate(expiring(), successorId, 0, justAfter),
    ])
      expect(errorOf(decide)).toMatchObject({
        code: RpcErrorCode.KeyRevoked,
        message: 'the key has expired and cannot be changed',
      });
    expect(decideRename(expiring(), 'Desktop', new Date('2025-06-01T12:00:00.400Z'))).toHaveLength(1);
  });

  it('refuses to rename a key whose rotation grace period is over', () => {
    const rotated = stateOf(created, ...decideRotate(active(), successorId, 60, now));
    expect(errorOf(() => decideRename(rotated, 'Desktop', new Date(now.getTime() + 60_000)))).toMatchObject({
      code: RpcErrorCode.KeyRevoked,
    });
  });
});

describe('a key holding only the retired mcp_server', () => {
  it('is not rotated into a successor of no integration', () => {
    const onlyMcp = stateOf({
      ...created,
      data: { ...(created.data as object), integrations: ['mcp_server'] },
    } as ApiKeyEvent);
    expect(errorOf(() => decideRotate(onlyMcp, successorId, 0, now))).toMatchObject({
      code: RpcErrorCode.IntegrationRetired,
    });
  });
});

describe('decideRevoke', () => {
  it('revokes an active key with the given reason', () => {
    expect(decideRevoke(active(), 'leaked')).toEqual([{ type: 'key.revoked', data: { reason: 'leaked' } }]);
  });

  it('is idempotent: revoking a revoked key records nothing', () => {
    expect(decideRevoke(revoked(), 'user')).toEqual([]);
  });
});

describe('decideReportedLeak', () => {
  it('revokes a live key as leaked, with its prefix and where it was found', () => {
    expect(
      decideReportedLeak(active(), { keyPrefix: 'vxk_0123abcd', sourceUrl: 'https://gist.example.com/x' }),
    ).toEqual([
      {
        type: 'key.revoked',
        data: { reason: 'leaked', key_prefix: 'vxk_0123abcd', source_url: 'https://gist.example.com/x' },
      },
    ]);
    expect(decideReportedLeak(active(), { keyPrefix: 'vxk_0123abcd' })).toEqual([
      { type: 'key.revoked', data: { reason: 'leaked', key_prefix: 'vxk_0123abcd' } },
    ]);
  });

  it('records nothing for a key that is already revoked', () => {
    expect(decideReportedLeak(revoked(), { keyPrefix: 'vxk_0123abcd' })).toEqual([]);
  });
});

describe('decideRotate', () => {
  it('without a grace period, revokes the old key at once', () => {
    expect(decideRotate(active(), successorId, 0, now)).toEqual([
      {
        type: 'key.rotated',
        data: { replaced_by: successorId, grace_period_seconds: 0, revoke_at: '2025-06-01T12:00:00.000Z' },
      },
      { type: 'key.revoked', data: { reason: 'rotated' } },
    ]);
  });

  it('with a grace period, schedules the revocation for its end', () => {
    expect(decideRotate(active(), successorId, 60, now)).toEqual([
      {
        type: 'key.rotated',
        data: { replaced_by: successorId, grace_period_seconds: 60, revoke_at: '2025-06-01T12:01:00.000Z' },
      },
    ]);
  });

  it('refuses to rotate a key twice', () => {
    const rotating = stateOf(created, ...decideRotate(active(), successorId, 60, now));
    const error = errorOf(() => decideRotate(rotating, 'another-successor', 60, now));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: RpcErrorCode.KeyAlreadyRotated });
  });

  it('refuses to rotate a revoked key', () => {
    expect(errorOf(() => decideRotate(revoked(), successorId, 0, now))).toMatchObject({
      code: RpcErrorCode.KeyRevoked,
    });
  });
});

describe('decideDue', () => {
  const inGrace = () => stateOf(created, ...decideRotate(active(), successorId, 60, now));

  it('revokes a rotated key once its grace period has ended', () => {
    expect(decideDue(inGrace(), new Date(now.getTime() + 60_000))).toEqual([
      { type: 'key.revoked', data: { reason: 'rotated' } },
    ]);
  });

  it('waits while the grace period runs', () => {
    expect(decideDue(inGrace(), new Date(now.getTime() + 59_999))).toEqual([]);
  });

  it('expires a key whose expiry has passed', () => {
    const expiring = stateOf(createdExpiringAt('2025-06-01T11:59:59.000Z'));
    expect(decideDue(expiring, now)).toEqual([
      { type: 'key.expired', data: { expires_at: '2025-06-01T11:59:59.000Z' } },
    ]);
  });

  it('has nothing due for a key that expires later', () => {
    expect(decideDue(stateOf(createdExpiringAt('2025-06-02T00:00:00.000Z')), now)).toEqual([]);
  });

  it('has nothing due for an active key without expiry or rotation', () => {
    expect(decideDue(active(), now)).toEqual([]);
  });

  it('has nothing due for a revoked key, even past its expiry', () => {
    const sut = stateOf(createdExpiringAt('2025-01-01T00:00:00.000Z'), {
      type: 'key.revoked',
      data: { reason: 'user' },
    });
    expect(decideDue(sut, now)).toEqual([]);
  });

  it('has nothing more due once the rotation revocation has been applied', () => {
    const later = new Date(now.getTime() + 60_000);
    const sut = stateOf(created, ...decideRotate(active(), successorId, 60, now), ...decideDue(inGrace(), later));
    expect(sut.status).toBe('revoked');
    expect(decideDue(sut, later)).toEqual([]);
  });
});
