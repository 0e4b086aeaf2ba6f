import type { ScanFeatures } from '../../../shared/scan/features';

/** clamd has no reputation lookup and no archive passwords. */
export const CLAMAV_FEATURES: ScanFeatures = { hashFirst: false, archivePassword: false };
