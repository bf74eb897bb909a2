export * from './model.js';
export * from './validate.js';
export * from './type-filter.js';
