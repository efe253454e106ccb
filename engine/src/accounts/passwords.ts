import bcrypt from 'bcryptjs';

// bcryptjs is pure JS: no native build step on a fresh machine. Cost 10 keeps login near 60 ms.
const COST = 10;

export const hashPassword = (password: string): Promise<string> => bcrypt.hash(password, COST);
export const verifyPassword = (password: string, hash: string): Promise<boolean> => bcrypt.compare(password, hash);

/** A hash to compare against when the account does not exist, so timing does not reveal which part was wrong. */
export const DUMMY_HASH = bcrypt.hashSync('not-a-real-password', COST);
