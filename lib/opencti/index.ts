export * from './client';
export * from './errors';
export * from './mapping';
export * from './operations';
export * from './tlp';
export * from './types';
export * from './version';
