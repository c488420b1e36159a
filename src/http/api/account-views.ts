/**
 * The JSON shapes of Quay's account resources (user, organization, team, robot, app token), so
 * that Quay's UI, its Terraform provider and operators' scripts read Wharf's answers unchanged.
 * Billing, quota, federation and invitation fields do not exist in Wharf and are left out.
 */
import { createHash } from 'node:crypto';
import type { ApiTokenRow, RobotRow, TeamMemberRow, TeamRow, UserRow } from '../../metadata/store.js';
import type { OrganizationDetail, OrganizationMember, OrganizationTeam } from '../../management/organizations.js';
import type { RobotListEntry } from '../../management/robots.js';
import type { UserProfile } from '../../management/users.js';
import { quayDate } from './quay-format.js';

type Json = Record<string, unknown>;

/** A fixed palette: the avatar colour only has to be stable per name. */
const AVATAR_COLORS = ['#5b8def', '#e8743b', '#19a979', '#945ecf', '#13a4b4', '#d6465f', '#bf399e', '#6c8893', '#ee6868', '#2f6497'];

/**
 * Quay's avatar block `{name, hash, color, kind}`. The hash is of the name, never of the
 * e-mail (Quay hashes the e-mail for Gravatar, which would publish a guessable digest of it).
 */
export function avatar(name: string, kind: 'user' | 'robot' | 'org' | 'team'): Json {
  const hash = createHash('sha256').update(name.trim().toLowerCase()).digest('hex');
  return { name, hash, color: AVATAR_COLORS[parseInt(hash.slice(0, 2), 16) % AVATAR_COLORS.length], kind };
}

function date(ms: number | undefined): string | null {
  return ms === undefined ? null : quayDate(ms);
}

/** `GET /api/v1/user/`: the caller's own account. */
export function currentUserJson(profile: UserProfile): Json {
  const { user } = profile;
  return {
    anonymous: false,
    username: user.name,
    avatar: avatar(user.name, 'user'),
    can_create_repo: true,
    is_me: true,
    // No mail is sent by Wharf, so addresses count as verified (Quay does the same without MAILING).
    verified: true,
    email: user.email ?? null,
    enabled: user.enabled,
    logins: [],
    prompts: [],
    preferred_namespace: false,
    has_password_set: user.passwordHash !== undefined,
    super_user: profile.superuser,
    organizations: profile.organizations.map((o) => ({
      name: o.organization.name,
      avatar: avatar(o.organization.name, 'org'),
      can_create_repo: o.canCreateRepository,
      public: false,
      is_org_admin: o.isAdmin,
      preferred_namespace: false,
    })),
  };
}

/** `GET /api/v1/users/{username}` for someone else: only what is public. */
export function publicUserJson(user: UserRow): Json {
  return { anonymous: false, username: user.name, avatar: avatar(user.name, 'user') };
}

/** A user as superusers see it (Quay's superuser user view). */
export function managedUserJson(user: UserRow, superuser: boolean): Json {
  return { kind: 'user', name: user.name, username: user.name, email: user.email ?? null, verified: true, avatar: avatar(user.name, 'user'), super_user: superuser, enabled: user.enabled };
}

export function organizationJson(detail: OrganizationDetail): Json {
  const { organization } = detail;
  const body: Json = {
    name: organization.name,
    // Quay shows the contact address to admins only.
    email: detail.isAdmin ? (organization.email ?? '') : '',
    avatar: avatar(organization.name, 'org'),
    is_admin: detail.isAdmin,
    is_member: detail.isMember,
  };
  if (detail.teams) {
    body.teams = Object.fromEntries(detail.teams.map((t) => [t.team.name, organizationTeamJson(t)]));
    body.ordered_teams = detail.teams.map((t) => t.team.name);
  }
  return body;
}

function organizationTeamJson({ team, canView }: OrganizationTeam): Json {
  return { name: team.name, description: team.description, role: team.role, avatar: avatar(team.name, 'team'), can_view: canView, member_count: team.memberCount, is_synced: false };
}

export function organizationMemberJson(member: OrganizationMember): Json {
  return {
    name: member.name,
    kind: 'user',
    avatar: avatar(member.name, 'user'),
    teams: member.teams.map((name) => ({ name, avatar: avatar(name, 'team') })),
    repositories: member.repositories,
  };
}

/** The answer to creating or changing a team. */
export function teamJson(team: TeamRow, newTeam: boolean): Json {
  return { name: team.name, description: team.description, can_view: true, role: team.role, avatar: avatar(team.name, 'team'), new_team: newTeam };
}

export function teamMemberJson(member: TeamMemberRow): Json {
  return { name: member.name, kind: 'user', is_robot: member.kind === 'robot', avatar: avatar(member.name, member.kind === 'robot' ? 'robot' : 'user'), invited: false };
}

/** A robot; `token` only in the answers to create and regenerate (it is stored as a digest). */
export function robotJson(robot: RobotRow, token?: string): Json {
  const body: Json = { name: robot.name, created: date(robot.createdAt), last_accessed: date(robot.lastAccessedAt), description: robot.description };
  if (token !== undefined) body.token = token;
  return body;
}

export function robotListJson(entry: RobotListEntry): Json {
  return {
    ...robotJson(entry.robot),
    teams: entry.teams.map((t) => ({ name: t.name, avatar: avatar(t.name, 'team') })),
    repositories: entry.repositories,
  };
}

/** An app token; `token_code` only in the answer to create. */
export function appTokenJson(row: ApiTokenRow, tokenCode?: string): Json {
  const body: Json = { uuid: row.uuid, title: row.title, last_accessed: date(row.lastAccessedAt), created: date(row.createdAt), expiration: date(row.expiresAt) };
  if (tokenCode !== undefined) body.token_code = tokenCode;
  return body;
}
