export * from './agents';
export * from './body';
export * from './clock';
export * from './errors';
export * from './throttle';
export * from './transport';
export * from './types';
export * from './user-agent';
