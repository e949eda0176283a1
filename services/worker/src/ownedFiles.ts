import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Reading and writing files in a folder of an agent's (its CLI home) as the worker. A worker running as root, whose
 * agents run as users of their own, could be led by a link the agent made in its folder to read a file it may not
 * (the worker's, another agent's) for it, or to write one where it may not: seen with `~/.claude.json` linked to a
 * JSON file of the worker's, which the worker read and wrote back into the home, its content the agent's to read.
 *
 * So when the folder (`root`, resolved once: the operator may have named it through a link) belongs to another user
 * than the worker's, every step below it is opened without following a link and must belong to that user too, and
 * each file is reached through its opened folder (`/proc/self/fd/<n>/<name>`), which no rename by the agent can
 * redirect. Otherwise (the agent is the worker's own user, or cannot write there) links are followed as usual.
 */

/** A file or folder of `root` that is not its owner's, or a link out of it: the worker does not use it. */
export class NotOwnedError extends Error {
  override name = 'NotOwnedError';
}

/**
 * Whether `file`, as a hook call names it, lies below `folder` (the CLI home's transcripts): a name that leads out of it
 * (`..`, another absolute path) is not. Only the name: links are the owned reads' to refuse.
 */
export function isBelow(folder: string, file: string): boolean {
  return path.resolve(file).startsWith(`${path.resolve(folder)}${path.sep}`);
}

/** The text of `relative` (a path below `root`), or null when it does not exist. */
export async function readOwnedFile(root: string, relative: string): Promise<string | null> {
  const place = await openPlace(root);
  const dir = await place.folder(path.dirname(relative), false);
  if (!dir) return null;
  try {
    const file = await place.openIn(dir, path.basename(relative), constants.O_RDONLY | constants.O_NONBLOCK, relative);
    if (!file) return null;
    try {
      await place.check(file, relative, 'file');
      return await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } finally {
    await dir.close();
  }
}

/**
 * Writes `text` to `relative` (a path below `root`) atomically, by a rename: a reader never sees half a file. Folders
 * missing on the way are made (mode 700); what is made belongs to `root`'s owner.
 */
export async function writeOwnedFile(root: string, relative: string, text: string): Promise<void> {
  const place = await openPlace(root);
  const dir = (await place.folder(path.dirname(relative), true))!;
  try {
    const name = path.basename(relative);
    const temporary = inFolder(dir, `${name}.mission-${randomUUID()}`);
    // Made here (O_EXCL: never through a link), and given to the owner by its handle, not by its name.
    const file = await fs.open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(text);
      await place.own(file);
    } finally {
      await file.close();
    }
    await fs.rename(temporary, inFolder(dir, name));
  } finally {
    await dir.close();
  }
}

interface Place {
  /** The folder `relative` below the root, opened (null when missing and not made). */
  folder(relative: string, create: boolean): Promise<FileHandle | null>;
  /** `name` in the folder `dir`, opened with `flags` (null when missing); a link is not followed when the place is another user's. */
  openIn(dir: FileHandle, name: string, flags: number, shown: string): Promise<FileHandle | null>;
  /** Throws a {@link NotOwnedError} when what `handle` opened is not the place owner's, or not a `kind`. */
  check(handle: FileHandle, shown: string, kind: 'file' | 'folder'): Promise<void>;
  /** Gives what the worker made (opened by `handle`) to the place's owner. */
  own(handle: FileHandle): Promise<void>;
}

/**
 * The user every file the worker reads below `root` must belong to, when it must check (it runs as root, and `root`
 * is another user's: the agent's); null when it need not.
 */
export async function guardedOwner(root: string): Promise<number | null> {
  return ownerToCheck((await fs.stat(root)).uid);
}

/** `uid`, the owner of a folder, when the worker must check what it reads there (it runs as root, the folder is not root's). */
function ownerToCheck(uid: number): number | null {
  return process.getuid?.() === 0 && uid !== 0 ? uid : null;
}

/**
 * The text of `file`, one of the files the worker scans in its agents' homes, when `owner` (from {@link guardedOwner})
 * says whose it must be: a regular file of that user's, not reached by a link at its last step (a link in a folder on
 * the way leads to files of another owner, refused as well). A {@link NotOwnedError} otherwise.
 */
export async function readFileOf(file: string, owner: number | null): Promise<string> {
  const handle = await openFileOf(file, owner);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** `file` opened for reading as {@link readFileOf} reads it (the caller closes it). */
export async function openFileOf(file: string, owner: number | null): Promise<FileHandle> {
  const handle = await fs.open(file, ownedReadFlags(owner)).catch((error: NodeJS.ErrnoException) => {
    throw linkRefused(file, error);
  });
  if (owner === null) return handle;
  try {
    assertOwnedFile(file, await handle.stat(), owner);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The flags that open a file of `owner`'s for reading: when checked, no link at its last step and no wait on a FIFO. */
export function ownedReadFlags(owner: number | null): number {
  return owner === null ? constants.O_RDONLY : constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
}

/** The error of opening `file` with {@link ownedReadFlags}: a link it met (ELOOP) is a {@link NotOwnedError}. */
export function linkRefused(file: string, error: NodeJS.ErrnoException): Error {
  return error.code === 'ELOOP' ? new NotOwnedError(`${file} is a link: the worker does not follow it in an agent's folder`) : error;
}

/** Throws a {@link NotOwnedError} unless `stat` (of the opened `file`) is a regular file of `owner`'s. */
export function assertOwnedFile(file: string, stat: { isFile(): boolean; uid: number }, owner: number): void {
  if (!stat.isFile() || stat.uid !== owner)
    throw new NotOwnedError(`${file} is not a file of the folder's owner (uid ${stat.uid}, not ${owner}): the worker does not read it`);
}

async function openPlace(root: string): Promise<Place> {
  const resolved = await fs.realpath(root).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    await fs.mkdir(root, { recursive: true, mode: 0o700 });
    return fs.realpath(root);
  });
  const { uid: owner, gid } = await fs.stat(resolved);
  const worker = process.getuid?.() ?? -1;
  // Another user's folder, which the worker (root) could be led out of: the agent's, when agents run as their own user.
  const guarded = ownerToCheck(owner) !== null;
  const place: Place = {
    openIn: (dir, name, flags, shown) =>
      fs.open(inFolder(dir, name), guarded ? flags | constants.O_NOFOLLOW : flags).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        // O_NOFOLLOW met a link (ELOOP; ENOTDIR with O_DIRECTORY, as for a file where a folder is asked for).
        if (error.code !== 'ELOOP' && error.code !== 'ENOTDIR') throw error;
        const link = await fs.lstat(inFolder(dir, name)).then((stat) => stat.isSymbolicLink());
        throw new NotOwnedError(
          link
            ? `${path.join(resolved, shown)} is a link: the worker follows no link in ${root}, another user's folder`
            : `${path.join(resolved, shown)} is not a folder: Mission does not use it`,
        );
      }),
    async check(handle, shown, kind) {
      const stat = await handle.stat();
      if (kind === 'file' ? !stat.isFile() : !stat.isDirectory())
        throw new NotOwnedError(`${path.join(resolved, shown)} is not a ${kind}: Mission does not use it`);
      if (guarded && stat.uid !== owner)
        throw new NotOwnedError(
          `${path.join(resolved, shown)} belongs to another user than ${root} (uid ${stat.uid}, not ${owner}): Mission does not read or write it there`,
        );
    },
    async own(handle) {
      if (worker === 0) await handle.chown(owner, gid);
    },
    async folder(relative, create) {
      let dir = await fs.open(resolved, constants.O_RDONLY | constants.O_DIRECTORY);
      let shown = '';
      for (const step of relative === '.' ? [] : relative.split(path.sep)) {
        shown = path.join(shown, step);
        const parent = dir;
        try {
          const next = await place.openIn(parent, step, constants.O_RDONLY | constants.O_DIRECTORY, shown);
          if (!next && !create) return null;
          dir = next ?? (await madeIn(parent, step, shown));
        } finally {
          await parent.close();
        }
        const opened = dir;
        await place.check(opened, shown, 'folder').catch(async (error: unknown) => {
          await opened.close();
          throw error;
        });
      }
      return dir;
    },
  };
  /** The folder `step` made in `parent` (mode 700, the place owner's), opened. */
  async function madeIn(parent: FileHandle, step: string, shown: string): Promise<FileHandle> {
    await fs.mkdir(inFolder(parent, step), { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const made = (await place.openIn(parent, step, constants.O_RDONLY | constants.O_DIRECTORY, shown))!;
    await place.own(made);
    return made;
  }
  return place;
}

/** The path of `name` in the folder `dir` holds open: it stays that folder whatever is renamed meanwhile. */
function inFolder(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}
