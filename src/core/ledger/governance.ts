/**
 * Membership model and governance, as one import: shapes (membership.ts), the rules against a state
 * (membership-change.ts) and the payloads of the governance and device record kinds (records/).
 */
export * from './membership.js';
export { applyChange, validateChange } from './membership-change.js';
export { parseProposalPayload, type ProposalPayload } from './records/proposal.js';
export { parseApprovalPayload, type ApprovalPayload } from './records/approval.js';
export { parseDeviceRegisterPayload, type DeviceRegisterPayload } from './records/device-register.js';
export { parseDeviceRevokePayload, type DeviceRevokePayload } from './records/device-revoke.js';
