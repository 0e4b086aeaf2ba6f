// Package entry: every node and credential class of the pack (n8n itself loads the files
// listed under "n8n" in package.json; this entry serves programmatic use and tests).
export { EmailIntelParse } from './nodes/EmailIntelParse/EmailIntelParse.node';
