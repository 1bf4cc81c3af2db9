/**
 * Adobe Target's documented limits, one constant each, with the source that states it.
 * Sources: AdobeDocs/target-dev.en help/dev/administer/profile-api/profile-bulk-api.md (bulk),
 * AdobeDocs/target.en help/main/r-troubleshooting-target/target-limits.md (limits), see shared/TARGET-API.md.
 */

/** A batch body must be smaller than 50 MB (profile-bulk-api.md): bulkpipe keeps bodies strictly below this. */
export const MAX_BATCH_BYTES = 50_000_000;

/** At most 500,000 data rows per batch file (profile-bulk-api.md). */
export const MAX_BATCH_ROWS = 500_000;

/** 50 bulk, admin and reporting calls per minute per account; above it Target answers 503 (target-limits.md). */
export const CALLS_PER_MINUTE = 50;

/** The rolling window of the call limit. */
export const RATE_WINDOW_MS = 60_000;

/** mbox3rdPartyId / thirdPartyId: at most 256 characters (target-limits.md). */
export const MAX_THIRD_PARTY_ID_LENGTH = 256;

/** pcId (tntId / mboxPC): at most 128 characters (target-limits.md). */
export const MAX_PC_ID_LENGTH = 128;

/** Profile attribute names: at most 128 characters (target-limits.md, in-mbox profile attribute name). */
export const MAX_ATTRIBUTE_NAME_LENGTH = 128;

/**
 * Profile attribute values: 256 characters is the hard limit when the same attribute is sent from a page
 * (target-limits.md); nothing is documented for bulk, so longer values only warn.
 */
export const ATTRIBUTE_VALUE_WARN_LENGTH = 256;

/** External profile data per visitor, all sources together: at most 64 KB (target-limits.md). */
export const MAX_PROFILE_EXTERNAL_BYTES = 64 * 1024;

/** A profile expires after 14 days without activity by default (target-limits.md). */
export const PROFILE_TTL_DAYS = 14;

/** Single profile update limits (profile-single-api.md). */
export const MAX_SINGLE_UPDATE_GET_BYTES = 8 * 1024;
export const MAX_SINGLE_UPDATE_POST_BYTES = 60 * 1024;

/** The key header names a batch file may start with (profile-bulk-api.md), spelled exactly. */
export const ID_TYPES = ['thirdPartyId', 'pcId'] as const;
export type IdType = (typeof ID_TYPES)[number];

/** Every batch body starts with this form field name (profile-bulk-api.md). */
export const BATCH_FIELD_PREFIX = 'batch=';
