/** What the Security alerts page keeps in its address (PRODUCT.md §9.2). Pure, unit-tested. */
import { ALERT_RULES, ALERT_STATUSES } from '../../../libs/contracts/src/alert-rules';
import { query } from './api';

export { ALERT_RULES, ALERT_STATUSES };

/** Each rule in words, for people; its code (`new_location`) is shown beside it, as the API and webhooks name it. */
export const RULE_TITLES: Record<(typeof ALERT_RULES)[number], string> = {
  request_spike: 'Request spike',
  off_hours: 'Use outside working hours',
  new_location: 'Use from a new place',
  failed_auth_burst: 'Burst of failed authentications',
  revoked_key_use: 'Revoked or expired key used',
  key_leaked: 'Key reported as leaked',
  oauth_token_reuse: 'OAuth token used twice',
};

export const ruleTitle = (rule: string): string => RULE_TITLES[rule as keyof typeof RULE_TITLES] ?? rule;

export interface AlertsView {
  /** 'all' (the default: an alert acknowledged here stays in view) or one status. */
  status: string;
  /** '' for every rule. */
  rule: string;
  page: number;
}

/** The view an address holds (`status=open&rule=new_location&page=2`); unknown values fall back to the default. */
export function parseAlertsLocation(search: string): AlertsView {
  const params = new URLSearchParams(search);
  const status = params.get('status') ?? '';
  const rule = params.get('rule') ?? '';
  const page = Number(params.get('page'));
  return {
    status: (ALERT_STATUSES as readonly string[]).includes(status) ? status : 'all',
    rule: (ALERT_RULES as readonly string[]).includes(rule) ? rule : '',
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}

/** The page's address for this view, so that a reload, a link or Back shows the same alerts. */
export function alertsLocation(view: AlertsView): string {
  return `/alerts${query({
    status: view.status === 'all' ? undefined : view.status,
    rule: view.rule || undefined,
    page: view.page > 1 ? view.page : undefined,
  })}`;
}

/** How many times an alert's occurrence was seen, grouped like every other count of the dashboard: "1,234 ×". */
export function occurrences(count: number): string {
  return `${count.toLocaleString('en-US')} ×`;
}
