export { ApiKeyStore, type ApiKeyRecord } from './keyStore.js';
export { actorOf, canSee, envKeyId, keyDigest, LOCAL_PRINCIPAL, ROLES, submitterOf, type Principal, type Role } from './principal.js';
