export * from './contract';
export * from './connections';
