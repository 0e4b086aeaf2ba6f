/** Installs Dovecot via apt-get when root and missing; otherwise throws with the install command. */
export declare function ensureDovecotInstalled(): void;
export declare const INSTALL_HINT: string;
