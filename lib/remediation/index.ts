export * from './banner';
export * from './markers';
export * from './policy';
export * from './result';
export * from './select';
export * from './types';
export * from './plan';
export * from './rewrite';
