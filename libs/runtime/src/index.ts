export * from './express-adapter';
export * from './malformed-request.interceptor';
export * from './ping.controller';
export * from './rpc-exception.filter';
export * from './run-service';
export * from './tokens';
export * from './wait-for';
export * from './rpc-validation.pipe';
