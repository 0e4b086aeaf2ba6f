export * from './certs';
export * from './server';
export * from './subscriber';
export * from './config';
