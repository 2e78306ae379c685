import { alertsLocation, parseAlertsLocation } from './alerts';

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
