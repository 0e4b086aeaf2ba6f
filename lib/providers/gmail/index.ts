export * from './client';
export * from './config';
export * from './cursor';
export * from './history';
export * from './provider';
export * from './raw-message';
export * from './source';
export * from './state';
