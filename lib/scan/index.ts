export * from './archive-password';
export * from './clamd';
export * from './dsxa';
export * from './hash';
export * from './run';
export * from './types';
export * from './verdicts';
export * from './chunked';
