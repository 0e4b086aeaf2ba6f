// n8n's credential test of the `emailIntelImapApi` credential lives with the credential's other
// helpers in nodes/shared/ (the Mail Remediation node uses it too).
export { testImapCredential } from '../shared/imap-credential';
