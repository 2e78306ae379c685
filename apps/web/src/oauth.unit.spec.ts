import { appName, consentQuery, decisionBody, redirectTarget } from './oauth';

describe('the OAuth consent request in the dashboard', () => {
  it('finds the request in the consent route only', () => {
    expect(consentQuery('/oauth/authorize?client_id=a&state=x%20y')).toBe('client_id=a&state=x%20y');
    expect(consentQuery('/oauth/authorize')).toBe('');
    expect(consentQuery('/oauth/authorizes?client_id=a')).toBeNull();
    expect(consentQuery('/keys')).toBeNull();
  });

  it("sends the request's parameters back with the answer, the optional ones only when the request has them", () => {
    const query =
      'response_type=code&client_id=c1&redirect_uri=http%3A%2F%2F127.0.0.1%3A33418%2Fcallback' +
      '&code_challenge=abc&code_challenge_method=S256&scope=content%3Aread+content%3Awrite&state=';
    expect(decisionBody(query, 'allow')).toEqual({
      client_id: 'c1',
      redirect_uri: 'http://127.0.0.1:33418/callback',
      response_type: 'code',
      code_challenge: 'abc',
      code_challenge_method: 'S256',
      scope: 'content:read content:write',
      state: '',
      decision: 'allow',
    });
    // No redirect_uri: the client's only registered one is meant (OAuth 2.1 §4.1.1), so none is sent.
    expect(decisionBody('client_id=c1', 'deny')).toEqual({
      client_id: 'c1',
      response_type: '',
      code_challenge: '',
      code_challenge_method: '',
      decision: 'deny',
    });
  });

  it('shows where the answer goes as a user can check it', () => {
    expect(redirectTarget('http://127.0.0.1:33418/callback')).toEqual({
      host: '127.0.0.1:33418',
      onThisComputer: true,
    });
    expect(redirectTarget('http://[::1]:8080/cb').onThisComputer).toBe(true);
    expect(redirectTarget('https://evil.example.com/localhost')).toEqual({
      host: 'evil.example.com',
      onThisComputer: false,
    });
    expect(redirectTarget('https://127.0.0.1.evil.example/cb').onThisComputer).toBe(false);
    expect(redirectTarget('cursor://anysphere.cursor-retrieval/oauth/callback')).toEqual({
      host: 'cursor://anysphere.cursor-retrieval',
      onThisComputer: false,
    });
    expect(redirectTarget('not a url').host).toBe('not a url');
  });

  it('names an app by its own name, or by its client id when the name is blank', () => {
    expect(appName({ client_id: 'c1', client_name: '  Claude Code ' })).toBe('Claude Code');
    expect(appName({ client_id: 'c1', client_name: '  ' })).toBe('c1');
  });
});
