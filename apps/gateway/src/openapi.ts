import type { INestApplication } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { HealthController, PROBLEM_CONTENT_TYPE } from '#common';
import { OAUTH_SCOPES } from '#contracts';
import { AdminTokenGuard } from './admin/admin-token.guard';
import { accessPolicyOf } from './auth/access.decorator';
import { OPERATION_ANSWERS, RESPONSE_SCHEMAS } from './openapi-responses';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
type Controller = new (...args: never[]) => object;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details, the body of every error answer (PRODUCT.md §1)',
  required: ['type', 'title', 'status', 'detail', 'code', 'request_id', 'instance'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', example: 'VALIDATION_FAILED' },
    request_id: { type: 'string' },
    instance: { type: 'string' },
    validation_errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** Who may call an operation, from the same `@Access` policy and guards the gateway enforces. */
function securityOf(controller: Controller, handler: Function): Operation['security'] {
  const guards: unknown[] = [
    ...(Reflect.getMetadata(GUARDS_METADATA, controller) ?? []),
    ...(Reflect.getMetadata(GUARDS_METADATA, handler) ?? []),
  ];
  if (guards.includes(AdminTokenGuard)) return [{ admin_token: [] }];
  // Open, or for the METRICS_TOKEN's holder only when the deployment sets one (checked by the handler itself).
  if (controller === HealthController && handler === HealthController.prototype.prometheus)
    return [{}, { metrics_token: [] }];
  switch (accessPolicyOf(controller, handler).mode) {
    case 'public':
      return [];
    case 'session':
      return [{ session: [] }];
    case 'oauth':
      // The MCP endpoint: an OAuth access token (its write tools also need content:write).
      return [{ oauth2: ['content:read'] }];
    default:
      return [{ api_key: [] }, { session: [] }];
  }
}

/**
 * The OpenAPI document at /api/openapi.json, generated from the controllers, then completed with what
 * the decorators do not say: every operation's security (from its access policy), its answer's body
 * (openapi-responses.ts), its error answers (problem+json), and the parameter of a wildcard path
 * (`/api/v1/artifacts/{path}`).
 */
export function buildOpenApiDocument(app: INestApplication, controllers: Controller[]): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('VibeXP API')
      .setDescription(
        'Accounts, API keys, content and audit, and the MCP endpoint with its OAuth 2.1 server. Errors are application/problem+json (RFC 9457), except the OAuth protocol errors (RFC 6749 JSON) and JSON-RPC errors of the MCP endpoint.',
      )
      .setVersion('1')
      .addBearerAuth(
        { type: 'http', scheme: 'bearer', bearerFormat: 'vxk_ + 64 hex', description: 'an API key' },
        'api_key',
      )
      .addCookieAuth('vx_session', { type: 'apiKey', in: 'cookie', name: 'vx_session' }, 'session')
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'opaque, at least 16 characters',
          description: 'the ADMIN_TOKEN of the deployment (/admin/v1 only)',
        },
        'admin_token',
      )
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'opaque, at least 16 characters',
          description: 'the METRICS_TOKEN of the deployment, when it sets one (/metrics only)',
        },
        'metrics_token',
      )
      .addOAuth2(
        {
          type: 'oauth2',
          description:
            'OAuth 2.1 for the MCP endpoint only: public clients (RFC 7591), PKCE S256, `vxo_` access tokens',
          flows: {
            authorizationCode: {
              authorizationUrl: '/oauth/authorize',
              tokenUrl: '/oauth/token',
              refreshUrl: '/oauth/token',
              scopes: OAUTH_SCOPES,
            },
          },
        },
        'oauth2',
      )
      .build(),
    { operationIdFactory: (controllerKey, methodKey) => `${controllerKey}_${methodKey}` },
  );
  document.components = { ...document.components };
  document.components.schemas = { ...document.components.schemas, ...RESPONSE_SCHEMAS, Problem: PROBLEM_SCHEMA };
  const byName = new Map(controllers.map((controller) => [controller.name, controller]));

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      // `Controller_handler`, with `[n]` after it for a controller mounted at several paths.
      const [controllerName, handlerName = ''] = (operation.operationId ?? '').replace(/\[\d+\]$/, '').split('_');
      const controller = byName.get(controllerName);
      const handler = controller?.prototype[handlerName as keyof object] as Function | undefined;
      if (controller && handler) operation.security = securityOf(controller, handler);
      const answer = OPERATION_ANSWERS[`${controllerName}_${handlerName}`];
      if (answer)
        operation.responses = {
          ...operation.responses,
          [answer.status]: {
            description:
              (operation.responses?.[answer.status] as { description?: string } | undefined)?.description ||
              'the answer',
            content: { 'application/json': { schema: { $ref: `#/components/schemas/${answer.schema}` } } },
          },
        };
      operation.responses = {
        ...operation.responses,
        default: {
          description: 'an error (see `code`)',
          content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      };
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        const parameters = (operation.parameters ??= []);
        if (!parameters.some((parameter) => 'name' in parameter && parameter.name === name)) {
          parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
        }
      }
    }
  }
  return document;
}
