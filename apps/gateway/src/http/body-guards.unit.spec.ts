import { parserRefusal } from './body-guards';

describe('parserRefusal', () => {
  it('answers a request that stalled with 408, not as malformed', () => {
    for (const code of ['ERR_HTTP_REQUEST_TIMEOUT', 'HPE_HEADERS_TIMEOUT']) {
      expect(parserRefusal(code)).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
    }
  });

  it('431 for headers over the limit, 400 with a detail that fits the fault otherwise', () => {
    expect(parserRefusal('HPE_HEADER_OVERFLOW')).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
    expect(parserRefusal('HPE_INVALID_HEADER_TOKEN').detail).toContain('forbidden character');
    expect(parserRefusal('HPE_UNEXPECTED_CONTENT_LENGTH').detail).toContain('body framing');
    expect(parserRefusal('HPE_INVALID_METHOD')).toMatchObject({
      status: 400,
      code: 'MALFORMED_REQUEST',
      detail: 'the request is not valid HTTP/1.1',
    });
    expect(parserRefusal(undefined).status).toBe(400);
  });
});
