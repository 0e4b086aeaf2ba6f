import type { ScanFeatures } from '../../../shared/scan/features';

/** DSXA answers by hash (/scan/by_hash) and opens protected archives (scan_password). */
export const DSX_FEATURES: ScanFeatures = { hashFirst: true, archivePassword: true };
