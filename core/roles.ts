// Who may do what on the dashboard and the API. A role is a user's (or a token's) standing; a
// permission is what a route declares it needs. Higher roles hold every permission of lower ones.

export const ROLES = ['viewer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/**
 * view: read anything a signed-in user may see, and look after one's own sign-in (password,
 * sessions). manage: change what Streamwarden does (rules, servers, settings, stop a stream, trust,
 * imports, tokens). owner: manage the dashboard users themselves.
 */
export type Permission = 'view' | 'manage' | 'owner';

const RANK: Record<Role, number> = { viewer: 0, admin: 1, owner: 2 };
const NEEDS: Record<Permission, number> = { view: 0, manage: 1, owner: 2 };

const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

export const allows = (role: Role, permission: Permission): boolean => RANK[role] >= NEEDS[permission];

/** The lower of two roles: what a token acts with when its creator has since been demoted. */
export const lowerRole = (a: Role, b: Role): Role => (RANK[a] <= RANK[b] ? a : b);

/** Roles stored before roles existed, or unknown to this version, read as the least. */
export const readRole = (value: string): Role => (isRole(value) ? value : 'viewer');
