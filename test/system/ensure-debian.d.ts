export interface DebianPackagesSpec {
	/** What the tests need, for messages ("Dovecot", "clamd"). */
	name: string;
	packages: string[];
	/** True when everything needed is there. */
	present(): boolean;
	/** One sentence: which tests need it. */
	why: string;
}
/** Installs the packages via apt-get when root and missing; otherwise throws with the install command. */
export declare function ensureDebianPackages(spec: DebianPackagesSpec): void;
export declare function commandWorks(command: string, args: string[]): boolean;
