import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { type AccountView, KeysRpc, type LoginCredentials, type Page, RpcErrorCode } from '#contracts';
import { DomainError, EMAIL_SHAPE, normalizedEmail } from '#contracts';
import { redactText } from '#common';
import { InvalidationPublisher } from '../shared/invalidation.publisher';
import { KeyStore, eventMeta } from '../shared/key-store';
import { AccountsRepository, toAccountView } from './accounts.repository';
import {
  AdminListAccountsQuery,
  AdminUpdateAccountCommand,
  CredentialsQuery,
  LoginFailedCommand,
  SignupCommand,
} from './accounts.dto';
import { type AccountEvent, type AccountState, accountStream, decideAdminChange, fold } from './domain/account';
import { LoginThrottle } from './login-throttle';

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const driverError = (error as { driverError?: { code?: string; constraint?: string } }).driverError;
  return driverError?.code === '23505' && driverError.constraint === constraint;
}

const withoutLimit = ({ hourly_limit: _limit, ...account }: AccountView & { hourly_limit: number }): AccountView =>
  account;

/**
 * What a failed login records of the email typed: the address, with an API key masked (people paste a key into the
 * wrong field), or nothing of it when it is no email address at all: that is most often a password typed into the
 * email field, which must not be kept in an event.
 */
function typedEmail(email: string): { email: string | null; email_malformed?: true } {
  return EMAIL_SHAPE.test(email) ? { email: redactText(email) } : { email: null, email_malformed: true };
}

/** RPC handlers of the account aggregate and of login bookkeeping. */
@Controller()
export class AccountsHandler {
  constructor(
    private readonly store: KeyStore,
    private readonly accounts: AccountsRepository,
    private readonly invalidations: InvalidationPublisher,
    @Inject(LoginThrottle) private readonly throttle: LoginThrottle,
  ) {}

  @MessagePattern(KeysRpc.signup)
  async signup(@Payload() command: SignupCommand): Promise<AccountView> {
    const accountId = randomUUID();
    const event: AccountEvent = {
      type: 'account.created',
      data: { account_id: accountId, email: command.email.trim(), name: command.name, tier: 'free' },
    };
    try {
      await this.store.dataSource.transaction(async (manager) => {
        await this.store.append(
          accountStream(accountId),
          [event],
          'no_stream',
          eventMeta(command.meta, accountId),
          manager,
        );
        await manager.query(`INSERT INTO account_credentials (account_id, password_hash) VALUES ($1, $2)`, [
          accountId,
          command.password_hash,
        ]);
      });
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_email_normalized_key'))
        throw new DomainError(RpcErrorCode.EmailTaken, 'an account with this email already exists');
      throw error;
    }
    return withoutLimit(toAccountView((await this.accounts.findById(accountId))!));
  }

  /** What the gateway needs to check a password itself (the password never crosses NATS). */
  @MessagePattern(KeysRpc.credentials)
  async credentials(@Payload() query: CredentialsQuery): Promise<LoginCredentials> {
    const email = normalizedEmail(query.email);
    const account = await this.accounts.findByEmail(email);
    return {
      account: account ? withoutLimit(toAccountView(account)) : null,
      password_hash: account?.password_hash ?? null,
      // What a gateway of the release before loginFailed answered the delay waits: remove once none runs.
      delay_ms: await this.throttle.delayFor(email, query.ip),
    };
  }

  @MessagePattern(KeysRpc.loginFailed)
  async loginFailed(@Payload() command: LoginFailedCommand): Promise<{ recorded: true; delay_ms: number }> {
    const email = normalizedEmail(command.email);
    // The fact first: it is the record of the attempt; the throttle's count follows it.
    await this.store.recordFact(
      'login_failure',
      // As the gateway sent it (normalized there): NFKC would turn the `…` of a key it masked into `...`.
      { type: 'auth.login_failed', data: { ...typedEmail(command.email), reason: command.reason } },
      eventMeta(command.meta, command.account_id ?? null),
    );
    // The right password of a suspended account is no guess: it slows nobody down.
    if (command.reason === 'account_suspended') return { recorded: true, delay_ms: 0 };
    // How long this wrong answer waits, from its own place in the count (failures sent at once each have one).
    return { recorded: true, delay_ms: await this.throttle.recordFailure(email, command.meta.ip) };
  }

  @MessagePattern(KeysRpc.adminListAccounts)
  async list(@Payload() query: AdminListAccountsQuery): Promise<Page<AccountView>> {
    const page = await this.accounts.list(query);
    return { ...page, items: page.items.map((row) => withoutLimit(toAccountView(row))) };
  }

  @MessagePattern(KeysRpc.adminUpdateAccount)
  async update(@Payload() command: AdminUpdateAccountCommand): Promise<AccountView> {
    const state = await this.store.load<AccountEvent, AccountState>(accountStream(command.account_id), fold);
    if (!state) throw new DomainError(RpcErrorCode.ResourceNotFound, 'no account with this id');
    const events = decideAdminChange(state, command);
    await this.store.append(accountStream(state.id), events, state.version, eventMeta(command.meta, state.id));
    // Also when nothing changed: a retry after a notice NATS did not confirm announces the change again.
    await this.invalidations.publish({ account_id: state.id });
    return withoutLimit(toAccountView((await this.accounts.findById(state.id))!));
  }
}
