import { ALERT_RULES, alertsLocation, occurrences, parseAlertsLocation, ruleTitle } from './alerts';

describe('security alerts in the address (PRODUCT.md §9.2)', () => {
  it('writes the status, rule and page, and reads them back the same', () => {
    const view = { status: 'open', rule: 'new_location', page: 2 };
    const address = alertsLocation(view);
    expect(address).toBe('/alerts?status=open&rule=new_location&page=2');
    expect(parseAlertsLocation(address.split('?')[1])).toEqual(view);
    expect(alertsLocation({ status: 'all', rule: '', page: 1 })).toBe('/alerts');
  });

  it('falls back to every alert, first page, for what it does not know', () => {
    expect(parseAlertsLocation('status=lost&rule=drop_tables&page=-3')).toEqual({ status: 'all', rule: '', page: 1 });
    expect(parseAlertsLocation('')).toEqual({ status: 'all', rule: '', page: 1 });
    expect(parseAlertsLocation('rule=oauth_token_reuse')).toEqual({
      status: 'all',
      rule: 'oauth_token_reuse',
      page: 1,
    });
  });
});

describe('rule titles', () => {
  it('names every rule in words, and falls back to the code for one it does not know', () => {
    for (const rule of ALERT_RULES) expect(ruleTitle(rule)).toMatch(/^[A-Z][A-Za-z]* [a-z]/);
    expect(ruleTitle('new_location')).toBe('Use from a new place');
    expect(ruleTitle('some_future_rule')).toBe('some_future_rule');
  });
});

describe('occurrences', () => {
  it('groups the thousands of an alert count like the other counts', () => {
    expect(occurrences(1)).toBe('1 ×');
    expect(occurrences(1234)).toBe('1,234 ×');
  });
});
