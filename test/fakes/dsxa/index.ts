export * from './eicar';
export * from './encrypted';
export * from './server';
