import { documentTitle } from './titles';

describe('the tab title of each page', () => {
  it('names the page shown, whatever its filters', () => {
    expect(documentTitle('/keys', true)).toBe('API keys · VibeXP');
    expect(documentTitle('/keys?status=all&page=2', true)).toBe('API keys · VibeXP');
    expect(documentTitle('/keys/0b7c/usage', true)).toBe('Key usage · VibeXP');
    expect(documentTitle('/memories?project=shop', true)).toBe('Memories · VibeXP');
    expect(documentTitle('/settings/apps', true)).toBe('Connected apps · VibeXP');
    expect(documentTitle('/settings/apps/g1/usage', true)).toBe('App usage · VibeXP');
    expect(documentTitle('/oauth/authorize?client_id=x', true)).toBe('Connect an app · VibeXP');
  });

  it('names the page an unknown address shows, and the sign-in page when signed out', () => {
    expect(documentTitle('/nowhere', true)).toBe('API keys · VibeXP');
    expect(documentTitle('/memories', false)).toBe('Log in · VibeXP');
  });
});
