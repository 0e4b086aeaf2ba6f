/** Installs Postfix + dovecot-lmtpd when root and missing; otherwise throws naming the install command. */
export declare function ensurePostfixInstalled(): void;
