export * from './model.js';
export * from './metadata-keys.js';
export * from './validate.js';
export * from './type-filter.js';
export * from './federation.js';
export * from './cloudevents.js';
export * from './signature.js';
export * from './trace-context.js';
