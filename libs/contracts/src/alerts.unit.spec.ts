import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { SecuritySettingsDto } from './alerts';

/** The fields a SecuritySettingsDto refuses, with their messages (as the gateway's and the services' pipes see them). */
function problems(body: Record<string, unknown>): Record<string, string[]> {
  const errors = validateSync(plainToInstance(SecuritySettingsDto, body), {
    whitelist: true,
    forbidNonWhitelisted: true,
  });
  return Object.fromEntries(
    errors.map((error) => [
      error.property,
      [
        ...Object.values(error.constraints ?? {}),
        ...(error.children ?? []).flatMap((child) => Object.values(child.constraints ?? {})),
      ],
    ]),
  );
}

const valid = { timezone: 'UTC', working_hours: null, webhook_url: null, auto_revoke_on: [] };

describe('SecuritySettingsDto', () => {
  it('accepts settings without working hours, and with them', () => {
    expect(problems(valid)).toEqual({});
    expect(problems({ ...valid, working_hours: { days: [1, 5], start: '22:00', end: '06:00' } })).toEqual({});
  });

  it.each([
    ['an empty array', []],
    ['an array of working days', [{ days: [1], start: '09:00', end: '17:00' }]],
    ['a string', '09:00-17:00'],
    ['a number', 9],
    ['a boolean', true],
  ])('refuses working_hours that are %s', (_, workingHours) => {
    expect(problems({ ...valid, working_hours: workingHours })).toEqual({
      working_hours: expect.arrayContaining(['must be an object { days, start, end }, or null for none']),
    });
  });

  it.each([
    ['a string', 'off_hours'],
    ['null', null],
    ['an object', { off_hours: true }],
  ])('refuses auto_revoke_on that is %s', (_, autoRevokeOn) => {
    expect(Object.keys(problems({ ...valid, auto_revoke_on: autoRevokeOn }))).toEqual(['auto_revoke_on']);
  });

  it.each([
    ['a number', 1],
    ['an array', ['UTC']],
    ['null', null],
  ])('refuses a timezone that is %s', (_, timezone) => {
    expect(Object.keys(problems({ ...valid, timezone }))).toEqual(['timezone']);
  });
});
