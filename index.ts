// Package entry: every node and credential class of the pack (n8n itself loads the files
// listed under "n8n" in package.json; this entry serves programmatic use and tests).
export { EmailIntelParse } from './nodes/EmailIntelParse/EmailIntelParse.node';
export { OpenCti } from './nodes/OpenCti/OpenCti.node';
export { EmailIntelOpenCtiApi } from './credentials/EmailIntelOpenCtiApi.credentials';
export { Microsoft365MailTrigger } from './nodes/Microsoft365MailTrigger/Microsoft365MailTrigger.node';
export { Microsoft365MailPollTrigger } from './nodes/Microsoft365MailPollTrigger/Microsoft365MailPollTrigger.node';
export { MicrosoftGraphAppApi } from './credentials/MicrosoftGraphAppApi.credentials';
export { EmailIntelImap } from './nodes/EmailIntelImap/EmailIntelImap.node';
export { EmailIntelImapTrigger } from './nodes/EmailIntelImapTrigger/EmailIntelImapTrigger.node';
export { EmailIntelImapEventsTrigger } from './nodes/EmailIntelImapEventsTrigger/EmailIntelImapEventsTrigger.node';
export { EmailIntelImapApi } from './credentials/EmailIntelImapApi.credentials';
export { DsxConnectConnector } from './nodes/DsxConnectConnector/DsxConnectConnector.node';
export { DsxConnect } from './nodes/DsxConnect/DsxConnect.node';
export { DsxConnectApi } from './credentials/DsxConnectApi.credentials';
export { EmailIntelGmailTrigger } from './nodes/EmailIntelGmailTrigger/EmailIntelGmailTrigger.node';
export { EmailIntelGmailPushTrigger } from './nodes/EmailIntelGmailPushTrigger/EmailIntelGmailPushTrigger.node';
export { EmailIntelGmailOAuth2Api } from './credentials/EmailIntelGmailOAuth2Api.credentials';
export { EmailIntelGoogleApi } from './credentials/EmailIntelGoogleApi.credentials';
export { MailRemediation } from './nodes/MailRemediation/MailRemediation.node';
export { DeepInstinctDsx } from './nodes/DeepInstinctDsx/DeepInstinctDsx.node';
export { DeepInstinctDsxApi } from './credentials/DeepInstinctDsxApi.credentials';
export { ClamAv } from './nodes/ClamAv/ClamAv.node';
export { ClamAvApi } from './credentials/ClamAvApi.credentials';
