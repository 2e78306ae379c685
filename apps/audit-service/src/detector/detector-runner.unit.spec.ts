import type { LoggerService } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { NatsConnectionHolder } from '#messaging';
import { DetectorRunner } from './detector-runner';

describe('DetectorRunner settings', () => {
  it('reports unusable working hours once per row, and again only after they were usable in between', () => {
    const warn = jest.fn();
    const logger = { log: jest.fn(), error: jest.fn(), warn } as LoggerService;
    // Applying settings touches neither the database nor NATS.
    const runner = new DetectorRunner({} as DataSource, {} as NatsConnectionHolder, logger);
    const unusable = { timezone: 'UTC', working_hours: { days: [], start: '09:00', end: '17:00' }, auto_revoke_on: [] };
    const usable = { ...unusable, working_hours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' } };

    // A changed row is read again on every refresh within its overlap window.
    for (let refresh = 0; refresh < 5; refresh += 1) runner.applySettings('account-a', unusable);
    runner.applySettings('account-b', unusable);
    expect(warn).toHaveBeenCalledTimes(2);

    runner.applySettings('account-a', usable);
    runner.applySettings('account-a', unusable);
    expect(warn).toHaveBeenCalledTimes(3);
  });
});
