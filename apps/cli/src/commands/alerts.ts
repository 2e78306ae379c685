import { UsageError, allowOnly, noMoreArguments, option, positional, queryOptions } from '../args';
import { ALERT_RULES, ALERT_SORTS, ALERT_STATUSES, RESOLUTIONS } from '../api-values';
import type { Context } from '../context';
import { details, pageLine, table } from '../output';

/** `vibexp alerts list|show|ack|resolve` (PRODUCT.md §9.2). */
export async function alerts(context: Context): Promise<void> {
  const { args } = context;
  const action = positional(args, 1, 'what to do: list, show, ack or resolve');
  noMoreArguments(args, action === 'list' ? 2 : 3);
  const path = () => `/api/v1/security/alerts/${encodeURIComponent(positional(args, 2, 'the alert id'))}`;
  const show = (alert: Record<string, unknown>) =>
    context.print(alert, () =>
      details(alert, [
        'id',
        'rule',
        'severity',
        'status',
        'summary',
        'key_prefix',
        'count',
        'first_seen',
        'last_seen',
        'evidence',
        'resolution',
        'resolution_note',
        'resolved_at',
      ]),
    );
  if (action === 'list') {
    const filters = ['status', 'rule', 'key-id', 'page', 'limit', 'sort-by', 'sort-order'];
    allowOnly(args, filters);
    const query = queryOptions(args, filters, {
      status: { choices: ALERT_STATUSES },
      rule: { choices: ALERT_RULES },
      'sort-by': { choices: ALERT_SORTS },
    });
    const page = await (
      await context.client()
    ).json<{ alerts: Record<string, unknown>[] } & Record<string, unknown>>('GET', '/api/v1/security/alerts', {
      query,
    });
    context.print(
      page,
      () => table(page.alerts, ['id', 'rule', 'severity', 'status', 'count', 'last_seen', 'summary']) + pageLine(page),
    );
    return;
  }
  if (action === 'show') {
    allowOnly(args, []);
    const alertPath = path();
    return show(await (await context.client()).json('GET', alertPath));
  }
  if (action === 'ack' || action === 'acknowledge') {
    allowOnly(args, []);
    const alertPath = path();
    return show(await (await context.client()).json('POST', `${alertPath}/acknowledge`));
  }
  if (action === 'resolve') {
    allowOnly(args, ['resolution', 'note']);
    // The alert first: without it, the resolution is not what is missing.
    const alertPath = path();
    const resolution = option(args, 'resolution');
    if (resolution === undefined) throw new UsageError(`--resolution is required: one of ${RESOLUTIONS.join(', ')}`);
    if (!(RESOLUTIONS as readonly string[]).includes(resolution))
      throw new UsageError(`--resolution must be one of ${RESOLUTIONS.join(', ')}, not "${resolution}"`);
    const note = option(args, 'note');
    return show(
      await (
        await context.client()
      ).json('POST', `${alertPath}/resolve`, {
        body: { resolution, ...(note !== undefined ? { note } : {}) },
      }),
    );
  }
  throw new UsageError(`unknown command: alerts ${action}`);
}
