export { EICAR } from '../../fixtures/eicar';
export * from './encrypted';
export * from './server';
