import { containsKeyShape, isSecretField, redact, redactText } from './redact';

const key = `vxk_${'a1'.repeat(32)}`;

describe('redact', () => {
  it('masks an API key found in free text, keeping only its display prefix', () => {
    const sut = redactText(`token ${key} rejected`);
    expect(sut).not.toContain(key);
    expect(sut).toContain('vxk_a1a1a1a1');
  });

  it.each([
    ['glued to a word', `x${key}`],
    ['after an underscore', `tool/1_${key}`],
    ['URL-encoded in quotes', `https://github.com/search?q=%22${key}%22`],
    ['after a digit', `1${key}`],
  ])('masks a vxk_ key %s', (_, text) => {
    expect(redactText(text)).not.toContain(key.slice(0, 13));
  });

  it('masks legacy key shapes and database passwords', () => {
    expect(redactText('acli-0123456789abcdef0123')).not.toContain('0123456789abcdef0123');
    expect(redactText('postgres://postgres:s3cret@127.0.0.1/keys')).not.toContain('s3cret');
    // A raw `@` in the password: a URL parser takes the last one before the host as the end of the userinfo.
    expect(redactText('postgresql://u:ab@CDEFGHIJKLMNOP@db/x and me@example.com')).toBe(
      'postgresql://u:[REDACTED]@db/x and me@example.com',
    );
  });

  it('masks the credentials of a mistyped URL too, keeping the user name', () => {
    expect(redactText('cannot parse postgres//app:S3cret@db/keys')).toBe(
      'cannot parse postgres//app:[REDACTED]@db/keys',
    );
    expect(redactText('u:S3cret@h:5432/db')).toBe('u:[REDACTED]@h:5432/db');
    expect(redactText('mail ada@example.com at 10:30')).toBe('mail ada@example.com at 10:30');
    expect(redactText('must not contain credentials (user:password@)')).toBe(
      'must not contain credentials (user:password@)',
    );
  });

  it('takes time linear in the text for crafted paths (a request path is logged and echoed in errors)', () => {
    // A denial-of-service guard, not a speed target: with unanchored, unbounded patterns each of these took
    // about 3 s (quadratic: 0.2 to 0.3 s at 16 KB); linear ones take well under a millisecond. The bound is
    // a thousand times what they need.
    const size = 50_000;
    const crafted = [
      `/${'a'.repeat(size)}:${'b'.repeat(size)}/@x`,
      `/${'a'.repeat(size)}@x`,
      `x://${'h'.repeat(size)}@`,
      'x://u:a'.repeat(size / 7),
      'Bearer '.repeat(size / 7),
      `"password":"${'"password":"'.repeat(size / 12)}`,
      `a${'password=&'.repeat(size / 10)}`,
      'mysql -'.repeat(size / 7),
      '--password '.repeat(size / 11),
      '-u a '.repeat(size / 5),
    ];
    for (const text of crafted) {
      const startedAt = performance.now();
      // Nothing here is a credential: the text comes back as it was (compared as a boolean, not printed).
      expect([text.slice(0, 20), redactText(text) === text]).toEqual([text.slice(0, 20), true]);
      expect(performance.now() - startedAt).toBeLessThan(1_000);
    }
    expect(redactText(`${'x'.repeat(size)} postgres://u:S3cret@h/db`)).toContain('postgres://u:[REDACTED]@h/db');
  });

  it('takes time linear in the text for a body-sized text of almost-tokens (2 MB: a hook, an unknown field name)', () => {
    // A denial-of-service guard like the one above, at the size of a whole request body: a JWT pattern that could
    // start inside `eyJ-eyJ-…` took 7 s on this; one that starts only where such a run starts takes milliseconds.
    for (const text of [
      'eyJ-'.repeat(500_000),
      '-eyJ'.repeat(500_000),
      `${'eyJ-'.repeat(250_000)}.${'eyJ-'.repeat(250_000)}`,
    ]) {
      const startedAt = performance.now();
      expect([text.slice(0, 8), redactText(text) === text]).toEqual([text.slice(0, 8), true]);
      expect(performance.now() - startedAt).toBeLessThan(1_000);
    }
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    for (const before of [' ', 'Bearer ', '=', ':', '"'])
      expect(redactText(`${before}${jwt}`)).not.toContain(jwt.slice(12));
  });

  it.each([
    [
      'a bearer token',
      'curl -H "Authorization: Bearer ghp_abcdefghijklmnop123456" x',
      'ghp_abcdefghijklmnop123456',
      'Bearer [REDACTED]',
    ],
    ['a session cookie', 'curl -b vx_session=s3ss10nT0k3n; echo', 's3ss10nT0k3n', 'vx_session=[REDACTED];'],
    [
      'a password in JSON',
      `curl -d '{"email":"a@b.c","password":"hunter2hunter2"}'`,
      'hunter2',
      '"password":"[REDACTED]"',
    ],
    [
      'a password in JSON holding an escaped quote',
      JSON.stringify({ email: 'a@b.c', password: 'hun"ter\\2xyz' }),
      'ter',
      '"password":"[REDACTED]"',
    ],
    [
      'a password in a Python dict',
      "requests.post(url, json={'email': 'a@b.c', 'password': 'hunter2hunter2'})",
      'hunter2',
      "'password': '[REDACTED]'",
    ],
    [
      'a header in a JavaScript object',
      "fetch(u, { headers: { 'Authorization': 'Key k3ySecret99' } })",
      'k3ySecret99',
      "'Authorization': '[REDACTED]'",
    ],
    ['a password in a form', 'login?user=ann&password=hunter2hunter2&x=1', 'hunter2', 'password=[REDACTED]&x=1'],
    [
      'a token in a URL',
      'GET https://api.example.com/v1/me?access_token=ya29.a0Af_secret&x=1',
      'ya29.a0Af_secret',
      'access_token=[REDACTED]&x=1',
    ],
    ['an API key in a URL', 'https://maps.example.com/q?api_key=AIzaSyD-secret-value', 'AIzaSyD', 'api_key=[REDACTED]'],
    ['an environment assignment', 'PGPASSWORD=s3cret-pg psql -h db', 's3cret-pg', 'PGPASSWORD=[REDACTED] psql'],
    ['an option', 'mytool --token=opaque-t0ken --verbose', 'opaque-t0ken', '--token=[REDACTED] --verbose'],
    [
      'JSON printed as text',
      'HTTP/1.1 200 {"access_token": "opaque-access", "expires_in": 3600}',
      'opaque-access',
      '"access_token": "[REDACTED]", "expires_in": 3600',
    ],
    ['an npmrc line', '//registry.npmjs.org/:_authToken=npm_opaque123', 'npm_opaque123', ':_authToken=[REDACTED]'],
    ['an option and its value', 'some-tool --password Hunter2Space -v', 'Hunter2Space', '--password [REDACTED] -v'],
    ['a YAML line', 'api_key: YamlSecret123\nregion: eu', 'YamlSecret123', 'api_key: [REDACTED]\nregion: eu'],
    [
      'an INI line',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG',
      'wJalrXUtnFEMI',
      'aws_secret_access_key = [REDACTED]',
    ],
    ['curl -u', 'curl -u alice:CurlPass99 https://x', 'CurlPass99', '-u alice:[REDACTED] https://x'],
    [
      'a Basic header',
      'curl -H "Authorization: Basic YWxpY2U6QmFzaWNQYXNz" https://x',
      'YWxpY2U6QmFzaWNQYXNz',
      'Authorization: Basic [REDACTED]"',
    ],
    ['a MySQL password', 'mysql -u root -pMyS3cretPw app', 'MyS3cretPw', '-p[REDACTED] app'],
    ['a Stripe test key', 'STRIPE=sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'HqLyjWDarjtT1zdp7dc', 'sk_test_4eC3…[REDACTED]'],
    ['a GitLab token', 'glpat-xxxxxxxxxxxxxxxxxxxx12 push', 'xxxxxxxxxxxxxxxxxx12', 'glpat-xxxxxx…[REDACTED]'],
    ['a Hugging Face token', 'hf_abcdefghijklmnopqrstuvwxyzABCDEF', 'qrstuvwxyzABCDEF', 'hf_abcdefghi…[REDACTED]'],
    [
      'a quoted environment assignment',
      'PGPASSWORD="pgSecret99" psql -h db',
      'pgSecret99',
      'PGPASSWORD="[REDACTED]" psql',
    ],
    ['an exported quoted variable', "export DB_PASSWORD='dbSecret99'", 'dbSecret99', "DB_PASSWORD='[REDACTED]'"],
    ['a quoted option', 'mysql --password="mySecret99" app', 'mySecret99', '--password="[REDACTED]" app'],
    ['a quoted option after a space', "tool --token 'tok en 99' -v", 'tok en 99', "--token '[REDACTED]' -v"],
    [
      'a quoted .env line',
      'JWT_SECRET="abcdef123456"\nPORT=3000',
      'abcdef123456',
      'JWT_SECRET="[REDACTED]"\nPORT=3000',
    ],
    ['a quoted YAML value', 'api_key: "yaml quoted value"', 'yaml quoted', 'api_key: "[REDACTED]"'],
    ['a quoted INI value', "password = 'ini quoted'", 'ini quoted', "password = '[REDACTED]'"],
    ['a Rails secret key base', 'SECRET_KEY_BASE=8f3a9c0b1d2e', '8f3a9c0b1d2e', 'SECRET_KEY_BASE=[REDACTED]'],
    [
      'an ApiKey header',
      'curl -H "Authorization: ApiKey c2VjcmV0a2V5MTIz" x',
      'c2VjcmV0a2V5MTIz',
      'ApiKey [REDACTED]"',
    ],
    [
      'a double-quoted secret holding a quote',
      `PGPASSWORD="pa'ss99word" psql`,
      "pa'ss99word",
      'PGPASSWORD="[REDACTED]" psql',
    ],
    ['a single-quoted secret holding a quote', `export DB_PASSWORD='p"w12345'`, 'p"w12345', "DB_PASSWORD='[REDACTED]'"],
    ['a quoted YAML sentence', `password: "don't share this"`, "don't share", 'password: "[REDACTED]"'],
    ['curl -u in quotes', 'curl -u "admin:S3cretPw" https://x', 'S3cretPw', '-u "admin:[REDACTED]"'],
    ['a quoted MySQL password', "mysql -u root -p'S3cretPw' db", 'S3cretPw', "-p'[REDACTED]' db"],
    ['a quoted docker login password', 'docker login -u ann -p "DockerPw99" reg', 'DockerPw99', '-p "[REDACTED]" reg'],
    [
      'a Token header',
      'curl -H "Authorization: Token tokSecret99" x',
      'tokSecret99',
      'Authorization: Token [REDACTED]"',
    ],
    ['a Key header', 'curl -H "Authorization: Key k3ySecret99" x', 'k3ySecret99', 'Authorization: Key [REDACTED]"'],
    ['an Okta SSWS header', 'authorization: SSWS 00okTaSecret99', 'okTaSecret99', 'authorization: SSWS [REDACTED]'],
    [
      'a header of a vendor scheme',
      'fetch(u, { headers: { Authorization: `Custom vendorSecret99` } })',
      'vendorSecret99',
      'Authorization: `Custom [REDACTED]`',
    ],
    ['a URL with an empty user name', 'redis://:RedisPw99@cache:6379/0', 'RedisPw99', 'redis://:[REDACTED]@cache'],
    [
      'a docker login password',
      'docker login -u ann -p DockerPw99 registry.example.com',
      'DockerPw99',
      '-p [REDACTED] registry',
    ],
    [
      'a Slack webhook',
      'POST https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'XXXXXXXXXXXXXXXXXXXXXXXX',
      '…[REDACTED]',
    ],
  ])('masks %s quoted in text', (_, text, secret, shown) => {
    const sut = redactText(text);
    expect(sut).not.toContain(secret);
    expect(sut).toContain(shown);
  });

  it('leaves prose about these things alone, and shows our own keys by their prefix after Bearer', () => {
    for (const text of [
      'cd $PWD && PWD=/home/ann make',
      '{"pass": 12, "fail": 0}',
      'sort?key_order=asc&page=2',
      'send Authorization: Bearer vxk_…',
      'password must be at least 12 characters',
      'the Bearer scheme',
      'my token expired yesterday, so the password reset failed',
      'HTTP Basic authentication over TLS',
      'token: none',
      'the token "abc123def" is what you pasted',
      'key: "created_at"',
      'echo "password rules" > README',
      'git log --author someone -u',
      'sort key: created_at',
    ])
      expect(redactText(text)).toBe(text);
    expect(redactText(`Bearer ${key}`)).toBe(`Bearer ${key.slice(0, 12)}…[REDACTED]`);
  });

  it('masks secret fields by name at any depth', () => {
    const sut = redact({
      headers: { authorization: 'Bearer x', other: 'ok' },
      body: { password: 'hunter2hunter2', full_key: key },
    });
    expect(JSON.stringify(sut)).not.toMatch(/hunter2|Bearer x|a1a1a1a1a1a1a1a1a1a1/);
    expect(JSON.stringify(sut)).toContain('"other":"ok"');
  });
});

describe('secrets of other shapes and names', () => {
  it.each([
    ['an OAuth access token', `vxo_${'ab'.repeat(32)}`],
    ['an OAuth refresh token', `vxr_${'cd'.repeat(32)}`],
    ['a GitHub token', `ghp_${'A1b2'.repeat(9)}`],
    ['a GitHub fine-grained token', `github_pat_${'11AB_cd'.repeat(5)}`],
    ['a Slack token', 'xoxb-1234567890-abcdefghij'],
    ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['an OpenAI key', `sk-proj-${'x9'.repeat(16)}`],
    ['an Anthropic key', `sk-ant-api03-${'Zy'.repeat(16)}`],
    ['a Stripe key', `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`],
    ['an npm token', `npm_${'aB3d'.repeat(9)}`],
    ['a Docker Hub token', `dckr_pat_${'Xy9_'.repeat(7)}`],
    ['a DigitalOcean token', `dop_v1_${'0f'.repeat(32)}`],
    ['a PyPI token', `pypi-AgEIcHlwaS5vcmc${'Qz'.repeat(25)}`],
    ['a SendGrid key', `SG.${'a1B2'.repeat(5)}.${'c3D4'.repeat(10)}`],
    ['an API key with its _ percent-encoded', `vxk%5F${'ab'.repeat(32)}`],
    ['an API key in capitals', `VXK_${'AB'.repeat(32)}`],
    ['an API key in capitals, percent-encoded', `%56%58%4B%5F${'AB'.repeat(32)}`],
    ['an API key with its letters percent-encoded', `%76%78%6b%5f${'ab'.repeat(32)}`],
    ['an API key with one letter percent-encoded', `v%78k_${'ab'.repeat(32)}`],
    ['an API key with its hex digits percent-encoded too', `vxk_${'%61%62%31'.repeat(22)}`],
    [
      'a JSON Web Token',
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    ],
  ])('masks %s in text, keeping 12 characters', (_, secret) => {
    const sut = redactText(`found: ${secret}.`);
    expect(sut).toBe(`found: ${secret.slice(0, 12)}…[REDACTED].`);
    expect(containsKeyShape(secret)).toBe(true);
  });

  it('masks a PEM private key block cut short (a hook string cut at 16 KiB), and many headers in linear time', () => {
    expect(redactText(`-----BEGIN PRIVATE KEY-----\nMIIEvg${'B'.repeat(300)}`)).toBe('-----BEGIN P…[REDACTED]');
    const headers = '-----BEGIN RSA PRIVATE KEY-----'.repeat(60_000);
    const startedAt = performance.now();
    redactText(headers);
    expect(performance.now() - startedAt).toBeLessThan(1_000);
  });

  it('masks a PEM private key block whole', () => {
    const pem = `-----BEGIN RSA PRIVATE KEY-----\nMIIEow${'A'.repeat(200)}\n-----END RSA PRIVATE KEY-----`;
    expect(redactText(`key:\n${pem}\nend`)).toBe('key:\n-----BEGIN R…[REDACTED]\nend');
  });

  it('leaves ordinary words alone', () => {
    for (const text of ['desk-organizer-with-long-name-here', 'risk-assessment-for-the-quarter', 'sk-short', 'AKIA'])
      expect(redactText(text)).toBe(text);
  });

  it('knows a secret field by its last word, in any case or spelling', () => {
    for (const name of [
      'token',
      'access_token',
      'refresh_token',
      'GITHUB_TOKEN',
      'apiKey',
      'api_key',
      'x-api-key',
      'secret',
      'client_secret',
      'AWS_SECRET_ACCESS_KEY',
      'private_key',
      'db_password',
      'credentials',
      'Authorization',
      'passwords',
      'api_keys',
      'secrets',
      // Glued, as environment variables often are, and other secrets' words.
      'PGPASSWORD',
      'NGROK_AUTHTOKEN',
      'clientsecret',
      'accesstoken',
      'APITOKEN',
      'refreshtoken',
      'SESSIONTOKEN',
      'MYSQL_PWD',
      'DB_PASS',
      'stripeKey',
      'licenseKey',
      'sshKey',
    ])
      expect([name, isSecretField(name)]).toEqual([name, true]);
    for (const name of [
      'input_tokens',
      'max_tokens',
      'session_id',
      'sort_key',
      'primary_key',
      'tokenizer',
      'author',
      'oauth',
      'bypass',
      'compass',
      'keyboard',
      'private_key_id',
      'total_tokens',
      // The short words alone: the working directory, a count of passed tests.
      'PWD',
      'OLDPWD',
      'pass',
    ])
      expect([name, isSecretField(name)]).toEqual([name, false]);
  });
});

describe('redact (log objects)', () => {
  it('keeps a flag named like a secret, and masks its value otherwise', () => {
    expect(redact({ requires_auth: true, has_secret: false, api_key: 'abc', token: 42 })).toEqual({
      requires_auth: true,
      has_secret: false,
      api_key: '[REDACTED]',
      token: '[REDACTED]',
    });
  });
});

describe('redactText on text masked already', () => {
  it('leaves a masked key as it is (masking twice gives what masking once gave)', () => {
    const once = redactText(`x${'vxk_'}${'5a'.repeat(32)}@example.com`);
    expect(once).toBe('xvxk_5a5a5a5a…[REDACTED]@example.com');
    expect(redactText(once)).toBe(once);
  });
});

describe('redact: OAuth authorization codes and PKCE verifiers', () => {
  const code = 'Xk2_Jd9vQm-4TbW8aPz0LrYc6NfHs1Ue3oGiKq7Vx5E';
  const verifier = 'r4Nd0m-PkCe_V3r1f13r.abcdefghijklmnopqrstuvwxyz0123~';

  it('masks a code in a redirect URL and a token request written out, and the verifier beside it', () => {
    expect(redactText(`open 'http://127.0.0.1:8765/cb?code=${code}&state=s'`)).toBe(
      `open 'http://127.0.0.1:8765/cb?code=[REDACTED]&state=s'`,
    );
    const curl = `curl $B/oauth/token -d grant_type=authorization_code -d code=${code} -d code_verifier=${verifier}`;
    expect(redactText(curl)).toBe(
      'curl $B/oauth/token -d grant_type=authorization_code -d code=[REDACTED] -d code_verifier=[REDACTED]',
    );
    expect(redactText(`{"code_verifier":"${verifier}","codeVerifier":"${verifier}"}`)).toBe(
      '{"code_verifier":"[REDACTED]","codeVerifier":"[REDACTED]"}',
    );
    expect(redact({ code_verifier: verifier, pkceVerifier: verifier })).toEqual({
      code_verifier: '[REDACTED]',
      pkceVerifier: '[REDACTED]',
    });
  });

  it('keeps short codes and code that is no value of a query', () => {
    for (const text of ['exit code=0', 'HTTP code=404 returned', 'const code=someFunction(arg)', 'code: 12'])
      expect(redactText(text)).toBe(text);
  });
});
