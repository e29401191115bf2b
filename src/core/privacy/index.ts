export * from './commitment.js';
export * from './erasure.js';
export * from './withheld.js';
export * from './withheld-policy.js';
export * from './withheld-identity.js';
