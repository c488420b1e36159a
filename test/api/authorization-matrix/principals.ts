/**
 * The seven principals of the authorization matrix, in the order of the table's columns, and
 * the accounts of the fixture they log in as.
 */

export const PRINCIPALS = ['anonymous', 'user', 'member', 'creator', 'orgAdmin', 'robot', 'superuser'] as const;
export type PrincipalName = (typeof PRINCIPALS)[number];
export type KnownPrincipal = Exclude<PrincipalName, 'anonymous'>;

/** The account behind each known principal (see fixture.ts for what each one holds). */
export const LOGINS: Readonly<Record<KnownPrincipal, string>> = {
  user: 'outsider',
  member: 'member',
  creator: 'creator',
  orgAdmin: 'orgadmin',
  robot: 'acme+ci',
  superuser: 'root',
};

/** Column headers of the printed table. */
export const COLUMN_TITLES: Readonly<Record<PrincipalName, string>> = {
  anonymous: 'anon',
  user: 'user',
  member: 'member',
  creator: 'creator',
  orgAdmin: 'orgadmin',
  robot: 'robot',
  superuser: 'super',
};

/** One expected HTTP status per principal, in {@link PRINCIPALS} order. */
export type Outcomes = readonly [number, number, number, number, number, number, number];

export function outcomeOf(outcomes: Outcomes, who: PrincipalName): number {
  return outcomes[PRINCIPALS.indexOf(who)] as number;
}
