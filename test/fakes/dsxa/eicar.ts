/**
 * The EICAR anti-virus test file (eicar.org): 68 harmless bytes every scanner flags. Built from
 * two halves so this source file itself is not flagged by a scanner on the developer's disk.
 */
export const EICAR = Buffer.from(
	'X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*',
	'latin1',
);
