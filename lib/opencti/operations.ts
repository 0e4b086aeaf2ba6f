/**
 * Every operation the pack sends to OpenCTI. Each one is validated against the platform's
 * schema (test/fakes/opencti/relay.schema.graphql, see its README) by the test fake and by a unit test.
 */
export const ABOUT_QUERY = /* GraphQL */ `
	query EmailIntelAbout {
		about {
			version
		}
	}
`;

export const AUTHOR_ADD_MUTATION = /* GraphQL */ `
	mutation EmailIntelAuthorAdd($input: IdentityAddInput!) {
		identityAdd(input: $input) {
			id
			standard_id
			name
		}
	}
`;

export const LABEL_ADD_MUTATION = /* GraphQL */ `
	mutation EmailIntelLabelAdd($input: LabelAddInput!) {
		labelAdd(input: $input) {
			id
			value
		}
	}
`;

export const EXTERNAL_REFERENCE_ADD_MUTATION = /* GraphQL */ `
	mutation EmailIntelExternalReferenceAdd($input: ExternalReferenceAddInput!) {
		externalReferenceAdd(input: $input) {
			id
			standard_id
		}
	}
`;

export const REPORT_ADD_MUTATION = /* GraphQL */ `
	mutation EmailIntelReportAdd($input: ReportAddInput!) {
		reportAdd(input: $input) {
			id
			standard_id
			name
			published
		}
	}
`;

export const IMPORT_PUSH_MUTATION = /* GraphQL */ `
	mutation EmailIntelImportPush(
		$id: ID!
		$file: Upload!
		$fileMarkings: [String]
		$noTriggerImport: Boolean
	) {
		stixDomainObjectEdit(id: $id) {
			importPush(file: $file, fileMarkings: $fileMarkings, noTriggerImport: $noTriggerImport) {
				id
				name
				size
			}
		}
	}
`;

export const ALL_OPERATIONS = [
	ABOUT_QUERY,
	AUTHOR_ADD_MUTATION,
	LABEL_ADD_MUTATION,
	EXTERNAL_REFERENCE_ADD_MUTATION,
	REPORT_ADD_MUTATION,
	IMPORT_PUSH_MUTATION,
];
