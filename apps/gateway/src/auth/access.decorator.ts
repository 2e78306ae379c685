import { SetMetadata } from '@nestjs/common';
import type { AccessPolicy } from './identity';

export const ACCESS_POLICY = 'vibexp:access-policy';

/** Declares how a route (or every route of a controller) is authenticated. */
export const Access = (policy: AccessPolicy): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, policy);

/** A route without `@Access`: a session or any API key with the integration the request needs. */
const DEFAULT_POLICY: AccessPolicy = { mode: 'session_or_key' };

/**
 * The policy a route is authenticated with: the handler's, else its controller's, else the default. The
 * one lookup both the guard (enforcing) and the OpenAPI document (describing) use.
 */
export function accessPolicyOf(controller: Function, handler: Function): AccessPolicy {
  return (
    (Reflect.getMetadata(ACCESS_POLICY, handler) as AccessPolicy | undefined) ??
    (Reflect.getMetadata(ACCESS_POLICY, controller) as AccessPolicy | undefined) ??
    DEFAULT_POLICY
  );
}
