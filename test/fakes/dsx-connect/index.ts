export * from './server';
export { makeHmacHeader, verifyHmac } from './python-hmac';
