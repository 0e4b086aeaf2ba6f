/**
 * dsx-connect's wire shapes (from /work/shared/apis/dsx/dsx-connect-openapi.derived.json, i.e.
 * deep-instinct/dsx-connect shared/models/connector_models.py and status_responses.py), in
 * their snake_case names: these objects are sent and received as they are.
 */
export type ItemAction = 'not implemented' | 'nothing' | 'delete' | 'move' | 'tag' | 'movetag';

export interface ConnectorInstance {
	name: string;
	display_name?: string | null;
	uuid: string;
	meta_info?: string | null;
	/** The connector's base URL: dsx-connect calls `${url}/read_file` and `${url}/item_action`. */
	url: string;
	status: 'ready' | 'starting' | 'stopped' | 'failed';
	item_action: ItemAction;
	item_action_move_metainfo: string;
	asset: string;
	filter: string;
}

export interface ScanRequest {
	location: string;
	metainfo: string;
	/** With its uuid: the core looks the connector's HMAC secret up by it to sign its callbacks. */
	connector?: ConnectorInstance;
	connector_url?: string | null;
	size_in_bytes?: number | null;
	scan_job_id?: string | null;
}

export interface StatusResponse {
	status: 'success' | 'error' | 'nothing';
	message: string;
	description?: string | null;
	id?: string | null;
}

export interface ItemActionStatusResponse extends StatusResponse {
	item_action?: ItemAction;
}

export interface RegisterResponse extends Partial<StatusResponse> {
	connector_uuid?: string;
	access_token?: string;
	token_type?: string;
	expires_in?: number;
	hmac_key_id?: string;
	hmac_secret?: string;
}
