export declare const CLAMD: string;
export declare function ensureClamdInstalled(): void;
