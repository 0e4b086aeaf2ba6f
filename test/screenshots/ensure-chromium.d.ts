export function ensureChromiumInstalled(): void;
export const CHROMIUM: string;
