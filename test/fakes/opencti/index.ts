export * from './server';
export * from './standard-id';
export * from './store';
export { openCtiSchema, SCHEMA_PATH } from './schema';
