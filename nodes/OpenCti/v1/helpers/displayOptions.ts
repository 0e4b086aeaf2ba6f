// Shared by every versioned action node: nodes/shared/display-options.ts.
export { showFor } from '../../../shared/display-options';
